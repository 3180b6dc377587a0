"""A node that holds no whole block at a validator-set change still serves what a verifier
needs to follow it: a pruned node (it keeps every header and commit) and a node started by
state sync (it keeps the changes its snapshot proof carried). Their receipt files and state
proofs verify offline from the genesis file alone, across the change.

The documents are built by the API's own builders (api/proof_routes.py) over the runtime's own
read side (runtime/reads.py NodeReads) on in-memory books; the chain is real (four validators
admit a fifth by governance, every commit signed by the set of its height).
"""

from __future__ import annotations

from types import SimpleNamespace

import msgspec
import pytest

from chainbook import codec
from chainbook.api.proof_routes import (
    ProofNotFound,
    build_receipt_file,
    build_state_proof_file,
    build_validator_changes,
)
from chainbook.api.proof_views import ReceiptFile, StateProofFile
from chainbook.apps.bank.queries import BalanceRequest
from chainbook.chain.block import Header
from chainbook.client.verify import (
    trust_root_from_genesis,
    verify_receipt_file,
    verify_state_proof_file,
)
from chainbook.core.node import NodeCore
from chainbook.core.statesync import StateSyncer
from chainbook.runtime.reads import NodeReads
from chainbook.storage import MemoryBlockStore
from tests.core.statesync_support import (
    GovernedChain,
    Peer,
    block_sync,
    boot_server,
    governed_chain,
    pump,
    restore_and_boot,
)
from tests.support import BOB

A = b"a" * 32


class BookNode(NodeReads):
    """The runtime's read side over an in-memory book and a ledger (what a Node holds)."""

    def __init__(self, core: object, store: MemoryBlockStore) -> None:
        self.core = core  # type: ignore[assignment]
        self.store = store  # type: ignore[assignment]


def pruned_node(chain: GovernedChain) -> BookNode:
    """The chain's own node, its book pruned below the transfer's block (the change's block
    among the pruned), its state checkpoint at the head."""
    store, ledger = chain.app.store, chain.app.ledger
    store.replace_state(dict(ledger.state.kv), ledger.state.height, ledger.state.app_hash)
    assert store.prune_blocks(chain.transfer_height, 1_000) == chain.transfer_height
    return BookNode(SimpleNamespace(ledger=ledger), store)


def state_synced_node(chain: GovernedChain) -> tuple[BookNode, NodeCore, MemoryBlockStore]:
    """A new node that restored the snapshot (proven across the change) and block-synced the
    blocks after it, the transfer's among them."""
    server = boot_server(chain.serving, "server-a")
    run = pump(StateSyncer(chain.genesis), {A: Peer(server)})
    assert run.restored is not None, run.events()
    assert [codec.decode(h.header, Header).height for h in run.restored.anchor.hops] == [
        chain.change_height
    ]
    core, store = restore_and_boot(run.restored, chain.genesis)
    block_sync(core, store, server, chain.app.ledger.state.height)
    assert store.load_book_base() == chain.snapshot_height
    return BookNode(core, store), core, store


def check_documents(node: BookNode, chain: GovernedChain) -> None:
    """Its receipt file and state proof, as a client receives them (JSON), verify offline
    from the genesis file alone, each following the one change."""
    root = trust_root_from_genesis(chain.genesis)
    receipt = _as_json(build_receipt_file(node, chain.transfer_hash), ReceiptFile)
    verified = verify_receipt_file(receipt, root)
    assert (verified.height, verified.ok, verified.validator_changes) == (
        chain.transfer_height,
        True,
        1,
    )
    request = BalanceRequest(address=BOB.address)
    params = {"address": BOB.address.hex()}
    built = build_state_proof_file(node, "bank", "balance", params, request)
    proof = _as_json(built, StateProofFile)
    proven = verify_state_proof_file(proof, root)
    assert proven.validator_changes == 1 and proven.height > chain.transfer_height
    assert proven.answer["balance"] == 500 + 5  # BOB's genesis 500 and the transfer


def _as_json(document: msgspec.Struct, type_: type[msgspec.Struct]) -> msgspec.Struct:
    return msgspec.json.decode(msgspec.json.encode(document), type=type_)


def test_a_pruned_node_serves_receipts_and_state_proofs_across_a_validator_change() -> None:
    chain = governed_chain()
    node = pruned_node(chain)
    assert node.store.load_block(chain.change_height) is None, "the change's block is pruned"
    check_documents(node, chain)
    [change] = build_validator_changes(node, chain.transfer_height)
    stored = node.store.load_header_and_last_commit(chain.change_height)
    assert stored is not None and bytes.fromhex(change.header) == codec.encode(stored[0])


def test_a_state_synced_node_serves_receipts_and_state_proofs_across_a_validator_change() -> None:
    chain = governed_chain()
    node, _, store = state_synced_node(chain)
    # Nothing of the change's height is in its book but the hop its snapshot proof carried.
    assert store.load_header_and_last_commit(chain.change_height) is None
    assert store.load_block(chain.snapshot_height) is None  # block C: its header only
    check_documents(node, chain)


def test_a_book_that_lost_a_change_says_which_one_and_serves_no_document() -> None:
    chain = governed_chain()
    node, _, store = state_synced_node(chain)
    store.state_sync_hops = []
    missing = f"validator-set change at height {chain.change_height}"
    with pytest.raises(ProofNotFound, match=missing):
        build_receipt_file(node, chain.transfer_hash)
