"""Create a local testnet, or add a late full node to one, from the same pieces that separate
organisations use (chainbook.ca, chainbook.runtime.home):

1. the network CA: `ca.init_ca` (D/ca);
2. each node's home: `init_home` (its own key and config), a certificate that the CA issues
   from the node's PUBLIC key (`ca.issue`), checked and installed with the CA's revocation list
   (`Home.install_certificates`);
3. the genesis, built here from the validators' public keys and the demo accounts, installed
   in every home (`Home.install_genesis`).

On one machine the testnet plays every organisation at once; nothing here reaches into a home
or the CA other than through those functions, so the one-machine shortcut exercises the
multi-organisation path.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from chainbook import ca
from chainbook.apps.bank import BankGenesis, GenesisAccount, Issuance
from chainbook.chain.genesis import ConsensusParams, Genesis, GenesisValidator
from chainbook.crypto import PrivateKey
from chainbook.errors import ConfigError
from chainbook.keyfile import write_key_file
from chainbook.ledger.genesis import dump_genesis, load_genesis, make_genesis
from chainbook.runtime.config import NodeConfig
from chainbook.runtime.home import init_home, now_ms
from chainbook.testnet.layout import (
    CHAIN_ID_DEFAULT,
    NODES_MAX,
    AccountEntry,
    NodeEntry,
    Testnet,
    choose_base_port,
    compute_ports,
    is_port_free,
    load_testnet,
    save_testnet,
    testnet_file,
)

VALIDATOR_POWER = 10
DEMO_ACCOUNTS = ("alice", "bob", "carol", "dave")
COIN_UNIT = 10**6
"""1 CBK in the smallest unit (decimals 6)."""
DEMO_ACCOUNT_AMOUNT = 1_000_000 * COIN_UNIT
BLOCK_REWARD = 1 * COIN_UNIT
HALVING_INTERVAL_BLOCKS = 100_000
SUPPLY_MAX = 21_000_000 * COIN_UNIT
TESTNET_EMPTY_BLOCK_INTERVAL_MS = 1_000
"""A local testnet makes an empty block every second when idle (the demo and the tests watch
it commit); a consortium's genesis gets the production default (chain/genesis.py, 30 s)."""
NODE_LOG_FILE = "node.log"
"""Testnet nodes log to a file in their home (the demo and tests read it), not to a stream:
their stdout/stderr (node.out) then holds only what is not a log line, such as a crash."""


def _new_key(seed: str | None, label: str) -> PrivateKey:
    """Random keys, or with a seed the same keys every time (for tests; never for real funds)."""
    return (
        PrivateKey.generate() if seed is None else PrivateKey.from_label(f"testnet/{seed}/{label}")
    )


def build_genesis(
    chain_id: str,
    validator_keys: list[tuple[str, bytes]],
    accounts: list[AccountEntry],
    empty_block_interval_ms: int = TESTNET_EMPTY_BLOCK_INTERVAL_MS,
) -> Genesis:
    """The shared genesis from PUBLIC keys: equal-power validators, funded demo accounts, a
    capped issuance, an empty block every `empty_block_interval_ms` when idle."""
    bank = BankGenesis(
        accounts=[GenesisAccount(address=a.address, amount=a.amount) for a in accounts],
        issuance=Issuance(
            block_reward=BLOCK_REWARD,
            halving_interval_blocks=HALVING_INTERVAL_BLOCKS,
            supply_max=SUPPLY_MAX,
        ),
    )
    return make_genesis(
        chain_id=chain_id,
        genesis_time_ms=now_ms(),
        validators=[
            GenesisValidator(name=name, public_key=public_key.hex(), power=VALIDATOR_POWER)
            for name, public_key in validator_keys
        ],
        consensus=ConsensusParams(empty_block_interval_ms=empty_block_interval_ms),
        app_state={"bank": bank},
    )


def _write_accounts(root: Path, names: Iterable[str], seed: str | None) -> list[AccountEntry]:
    accounts_dir = root / "accounts"
    accounts_dir.mkdir(mode=0o700)
    entries = []
    for name in names:
        key = _new_key(seed, f"account/{name}")
        key_path = write_key_file(accounts_dir / f"{name}.json", key)
        entries.append(
            AccountEntry(
                name=name,
                address=key.address.hex(),
                key_file=str(key_path.relative_to(root)),
                amount=DEMO_ACCOUNT_AMOUNT,
            )
        )
    return entries


def _make_node_home(
    root: Path,
    entry: NodeEntry,
    key: PrivateKey,
    genesis_bytes: bytes,
    network_ca: ca.CaFolder,
    peers: list[str],
    nodes_on_machine: int,
) -> None:
    config = NodeConfig(
        moniker=entry.name,
        p2p_host=entry.host,
        p2p_port=entry.p2p_port,
        api_host=entry.host,
        api_port=entry.api_port,
        peers=peers,
        log_stream="none",
        log_file=NODE_LOG_FILE,
        signature_workers=max(1, (os.cpu_count() or 1) // nodes_on_machine),
    )
    home = init_home(root / entry.home, config=config, key=key)
    issued = ca.issue(network_ca, home.node_id(), entry.name)
    home.install_certificates(
        network_ca.load_cert(), issued.certificate_pem, network_ca.revocation_path.read_bytes()
    )
    home.install_genesis(genesis_bytes)


def _node_entry(
    name: str, key: PrivateKey, validator: bool, base_port: int, index: int
) -> NodeEntry:
    p2p_port, api_port = compute_ports(base_port, index)
    return NodeEntry(
        name=name,
        home=name,
        validator=validator,
        address=key.address.hex(),
        public_key=key.public_key.hex(),
        p2p_port=p2p_port,
        api_port=api_port,
    )


def verify_init_args(validators: int, full_nodes: int) -> None:
    if validators < 1:
        raise ConfigError(f"validators: need at least 1, got {validators} (4 tolerates 1 fault)")
    if full_nodes < 0:
        raise ConfigError(f"full nodes: must be >= 0, got {full_nodes}")
    if validators + full_nodes > NODES_MAX:
        raise ConfigError(
            f"{validators + full_nodes} nodes: a local testnet holds at most {NODES_MAX}"
        )


def init_testnet(
    root: Path,
    validators: int = 4,
    full_nodes: int = 0,
    base_port: int | None = None,
    chain_id: str = CHAIN_ID_DEFAULT,
    seed: str | int | None = None,
    accounts: Iterable[str] = DEMO_ACCOUNTS,
    empty_block_interval_ms: int = TESTNET_EMPTY_BLOCK_INTERVAL_MS,
) -> Testnet:
    """Create a testnet folder: CA, node homes (full mesh), shared genesis, funded accounts.

    `seed` makes node and account keys reproducible (the CA key is always fresh);
    `empty_block_interval_ms` goes into the genesis (0: a block every timeout_commit, the
    benchmarks' setting).
    """
    verify_init_args(validators, full_nodes)
    root = Path(root).resolve()
    if testnet_file(root).exists() or (root / "node0").exists():
        raise ConfigError(f"{root} already holds a testnet; choose another folder or delete it")
    seed_text = None if seed is None else str(seed)
    node_count = validators + full_nodes
    base_port = choose_base_port(node_count, base_port)
    root.mkdir(parents=True, exist_ok=True)
    keys = [_new_key(seed_text, f"node{i}") for i in range(node_count)]
    entries = [
        _node_entry(f"node{i}", keys[i], i < validators, base_port, i) for i in range(node_count)
    ]
    account_entries = _write_accounts(root, accounts, seed_text)
    genesis = build_genesis(
        chain_id,
        [(e.name, k.public_key) for e, k in zip(entries, keys, strict=True) if e.validator],
        account_entries,
        empty_block_interval_ms,
    )
    genesis_bytes = dump_genesis(genesis)
    load_genesis(genesis_bytes)  # refuse to write a genesis that would not load
    network_ca = ca.init_ca(root / "ca", f"{chain_id} network CA")
    (root / "genesis.json").write_bytes(genesis_bytes)
    for entry, key in zip(entries, keys, strict=True):
        peers = [other.p2p_address for other in entries if other.name != entry.name]
        _make_node_home(root, entry, key, genesis_bytes, network_ca, peers, node_count)
    testnet = Testnet(
        chain_id=chain_id,
        created_ms=now_ms(),
        base_port=base_port,
        nodes=entries,
        accounts=account_entries,
        root=str(root),
    )
    save_testnet(testnet)
    return testnet


def add_node(root: Path, validator: bool = False, seed: str | int | None = None) -> NodeEntry:
    """Create a late full node's home: a CA-issued certificate, the shared genesis, and every
    existing node as a peer. It joins by block sync; existing nodes accept it when it dials."""
    if validator:
        raise ConfigError(
            "a validator cannot be added by editing files: the validator set changes only by a "
            "governance transaction approved by > 2/3 of the current power; add a full node"
        )
    testnet = load_testnet(root)
    index = len(testnet.nodes)
    verify_init_args(1, index)
    key = _new_key(None if seed is None else str(seed), f"node{index}")
    entry = _node_entry(f"node{index}", key, False, testnet.base_port, index)
    busy = [p for p in (entry.p2p_port, entry.api_port) if not is_port_free(p)]
    if busy:
        raise ConfigError(f"ports {busy} for {entry.name} are in use")
    genesis_bytes = testnet.genesis_path.read_bytes()
    peers = [n.p2p_address for n in testnet.nodes]
    network_ca = ca.CaFolder(testnet.ca_dir)
    _make_node_home(
        testnet.path, entry, key, genesis_bytes, network_ca, peers, len(testnet.nodes) + 1
    )
    testnet.nodes.append(entry)
    save_testnet(testnet)
    return entry


__all__ = [
    "COIN_UNIT",
    "TESTNET_EMPTY_BLOCK_INTERVAL_MS",
    "DEMO_ACCOUNTS",
    "add_node",
    "build_genesis",
    "init_testnet",
    "verify_init_args",
]
