"""A local network on loopback: create node homes, start and stop node processes, wait on them.

One module per concern: layout.py (the folder, its names and ports), create.py (init and
add-node, built from the same CA and home steps as separate organisations use), processes.py
(up, down, kill, pids), observe.py (status, waits; a port answered by another network's node is
never taken for ours). Everything returns plain values (paths, ports, pids, heights), so tests
drive a network with the same functions as the CLI and the demo; the tables the CLI prints live
in cli/testnet.py.
"""

from chainbook.testnet.create import (
    COIN_UNIT,
    DEMO_ACCOUNTS,
    add_node,
    build_genesis,
    init_testnet,
    verify_init_args,
)
from chainbook.testnet.layout import (
    API_PORT_OFFSET,
    BASE_PORT_DEFAULT,
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
)
from chainbook.testnet.observe import (
    NodeExited,
    NodeRow,
    WrongNode,
    describe,
    get_block_hashes,
    get_heights,
    query_node,
    status,
    tail,
    wait_until,
    wait_until_height,
    wait_until_ready,
)
from chainbook.testnet.processes import down, get_node_process, kill, node_command, up

__all__ = [
    "API_PORT_OFFSET",
    "BASE_PORT_DEFAULT",
    "CHAIN_ID_DEFAULT",
    "COIN_UNIT",
    "DEMO_ACCOUNTS",
    "NODES_MAX",
    "AccountEntry",
    "NodeEntry",
    "NodeExited",
    "NodeRow",
    "Testnet",
    "WrongNode",
    "add_node",
    "build_genesis",
    "choose_base_port",
    "compute_ports",
    "describe",
    "down",
    "get_block_hashes",
    "get_heights",
    "get_node_process",
    "init_testnet",
    "is_port_free",
    "kill",
    "load_testnet",
    "node_command",
    "query_node",
    "save_testnet",
    "status",
    "tail",
    "up",
    "verify_init_args",
    "wait_until",
    "wait_until_height",
    "wait_until_ready",
]
