"""The ip module: a register of works where the first filing wins, with licences and transfers."""

from chainbook.apps.base import GenesisSection, Module
from chainbook.apps.ip import process as _process
from chainbook.apps.ip.actions import ACTIONS, GrantLicence, Register, Transfer
from chainbook.apps.ip.errors import (
    ERRORS,
    AlreadyRegistered,
    HistoryFull,
    InvalidParty,
    InvalidPeriod,
    InvalidText,
    NotOwner,
    UnknownWork,
)
from chainbook.apps.ip.genesis import GenesisWork, IpGenesis, verify_ip_genesis
from chainbook.apps.ip.limits import LIMITS
from chainbook.apps.ip.queries import (
    QUERIES,
    HistoryItem,
    HistoryPage,
    HistoryRequest,
    WorkInfo,
    WorkRequest,
)
from chainbook.apps.ip.workload import IpWorkload

MODULE = Module(
    name=_process.MODULE_NAME,
    summary="Intellectual property: the first filing of a work's hash wins; licences and "
    "transfers by its owner.",
    actions=ACTIONS,
    process=_process.process,
    queries=QUERIES,
    genesis=GenesisSection(IpGenesis, _process.process_genesis, verify_ip_genesis),
    errors=ERRORS,
    limits=LIMITS,
    workload=IpWorkload,
)

__all__ = [
    "MODULE",
    "AlreadyRegistered",
    "GenesisWork",
    "GrantLicence",
    "HistoryFull",
    "HistoryItem",
    "HistoryPage",
    "HistoryRequest",
    "InvalidParty",
    "InvalidPeriod",
    "InvalidText",
    "IpGenesis",
    "NotOwner",
    "Register",
    "Transfer",
    "UnknownWork",
    "WorkInfo",
    "WorkRequest",
]
