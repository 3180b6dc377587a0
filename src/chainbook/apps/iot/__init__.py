"""The iot module: devices registered by an owner, each with its own key; signed readings in
batches under one Merkle root; thresholds that alert; latest and history queries; revocation."""

from chainbook.apps.base import GenesisSection, Module
from chainbook.apps.iot import process as _process
from chainbook.apps.iot.actions import (
    ACTIONS,
    Metric,
    Reading,
    Register,
    Revoke,
    SetThreshold,
    Submit,
)
from chainbook.apps.iot.errors import ERRORS
from chainbook.apps.iot.genesis import GenesisDevice, GenesisMetric, IotGenesis, verify_iot_genesis
from chainbook.apps.iot.invariants import assert_invariants as _assert_invariants
from chainbook.apps.iot.limits import LIMITS
from chainbook.apps.iot.queries import (
    QUERIES,
    BatchInfo,
    DeviceInfo,
    HistoryInfo,
    LatestInfo,
    ReadingInfo,
)
from chainbook.apps.iot.readings import (
    READING_TAG,
    compute_batch_root,
    compute_leaf,
    compute_reading_message,
    compute_reading_path,
    is_reading_in_batch,
    is_reading_signed,
    sign_reading,
)
from chainbook.apps.iot.workload import IotWorkload

MODULE = Module(
    name=_process.MODULE_NAME,
    summary="IoT: owners' devices sign readings, batched under one Merkle root; thresholds "
    "alert; latest and history queries; revocation.",
    actions=ACTIONS,
    process=_process.process,
    queries=QUERIES,
    genesis=GenesisSection(IotGenesis, _process.process_genesis, verify_iot_genesis),
    errors=ERRORS,
    limits=LIMITS,
    workload=IotWorkload,
    assert_invariants=_assert_invariants,
)

__all__ = [
    "MODULE",
    "READING_TAG",
    "BatchInfo",
    "DeviceInfo",
    "GenesisDevice",
    "GenesisMetric",
    "HistoryInfo",
    "IotGenesis",
    "LatestInfo",
    "Metric",
    "Reading",
    "ReadingInfo",
    "Register",
    "Revoke",
    "SetThreshold",
    "Submit",
    "compute_batch_root",
    "compute_leaf",
    "compute_reading_message",
    "compute_reading_path",
    "is_reading_in_batch",
    "is_reading_signed",
    "sign_reading",
]
