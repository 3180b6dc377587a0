"""What the simulator's event queue holds: one frozen value per kind of scheduled event.

A message in flight (network.Delivery), a node's timer or tick (tagged with the node's
incarnation, so those of an earlier life of a restarted node are recognised and dropped), the
answer of its signature checks, and the cluster-wide ticks (workload, governance, faults) and
milestones (a restart, a late node's state sync start, a partition healing, the global heal).
"""

from __future__ import annotations

from dataclasses import dataclass

from chainbook.core.inputs import TimerFired, TxsVerified
from chainbook.sim.network import Delivery


@dataclass(frozen=True, slots=True)
class Timer:
    node: int
    incarnation: int
    timer: TimerFired


@dataclass(frozen=True, slots=True)
class NodeTick:
    """The node core's next Tick (when it has something due)."""

    node: int
    incarnation: int


@dataclass(frozen=True, slots=True)
class Verified:
    """The signature checks a node asked for (VerifyTxs) are done."""

    node: int
    incarnation: int
    verified: TxsVerified


@dataclass(frozen=True, slots=True)
class WorkloadTick:
    pass


@dataclass(frozen=True, slots=True)
class GovernanceTick:
    pass


@dataclass(frozen=True, slots=True)
class FaultTick:
    pass


@dataclass(frozen=True, slots=True)
class Restart:
    node: int


@dataclass(frozen=True, slots=True)
class StateSyncStart:
    """The late validator starts, with an empty book, by state sync (config.state_sync_start_ms)."""

    node: int


@dataclass(frozen=True, slots=True)
class StateSyncedCrash:
    """The planned crash of the state-synced node (config.state_sync_restart_after_ms)."""

    node: int


@dataclass(frozen=True, slots=True)
class PartitionHeal:
    pass


@dataclass(frozen=True, slots=True)
class Heal:
    """GST: faults stop, every node is up; the liveness clock starts."""


Scheduled = (
    Delivery
    | Timer
    | NodeTick
    | Verified
    | WorkloadTick
    | GovernanceTick
    | FaultTick
    | Restart
    | StateSyncStart
    | StateSyncedCrash
    | PartitionHeal
    | Heal
)

__all__ = [
    "FaultTick",
    "GovernanceTick",
    "Heal",
    "NodeTick",
    "PartitionHeal",
    "Restart",
    "Scheduled",
    "StateSyncStart",
    "StateSyncedCrash",
    "Timer",
    "Verified",
    "WorkloadTick",
]
