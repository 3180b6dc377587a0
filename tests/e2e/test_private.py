"""Private data on a real 4-validator network: the content reaches the member nodes only.

Two organisations, bank-a (node0, Alice's key) and bank-b (node1, Bob's key), are registered
in the governance registry with their node keys, and form a collection. Node2 and node3 are
validators of the same chain that belong to no member. The test checks, with real processes,
real TLS connections and real SQLite files:

- a content submitted at node0 is held by node1 (pushed to it), never by node2 or node3;
- node2 and node3 never receive a private-data frame at all: their private-data cores count
  none (what the p2p layer handed them), and, after the network stops, no file in their
  homes (book, -wal, logs, anything) holds the content's bytes, in the clear or as hex; the
  same scan finds the content in the members' homes (the scan can see what it looks for);
- node1, stopped while a second record is submitted, fetches that content from node0 when it
  is back (pull answered only to members);
- a disclosure file from node1 verifies offline against the genesis, and a tampered one does
  not;
- a collection with purge_after_blocks=2 loses its content from the members' stores once two
  more blocks commit, while its hash stays on chain.

The contents are random markers of 24 bytes; TLS encrypts every frame, so what a proxy could
capture would be ciphertext: the receiving core's counters are the observation point.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from chainbook import testnet
from chainbook.client import ApiError, Wallet, build_action
from chainbook.client.light import ProofError
from chainbook.client.private import (
    get_disclosure,
    get_private,
    get_private_status,
    submit_private,
    verify_disclosure,
)
from chainbook.client.verify import trust_root_from_genesis
from chainbook.keyfile import load_key_file
from chainbook.ledger.genesis import load_genesis

pytestmark = pytest.mark.integration

DEADLINE_S = 60.0
MEMBERS = {"bank-a": ("node0", "alice"), "bank-b": ("node1", "bob")}
NON_MEMBERS = ("node2", "node3")


def wait_for(what: str, check: Callable[[], Any], timeout_s: float = DEADLINE_S) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            value = check()
        except ApiError:
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def committed_ok(submitted: Any) -> int:
    receipt = submitted.receipt
    assert receipt is not None and receipt.ok, submitted
    return int(receipt.height)


def register_members(net: testnet.Testnet) -> None:
    """bank-a and bank-b, each with its node's key and its user's key, voted in."""
    client = net.client("node0")
    validators = [
        Wallet.from_key_file(net.home(f"node{i}").key_path, client) for i in range(3)
    ]
    for institution, (node, user) in MEMBERS.items():
        keys = [
            net.home(node).node_id().hex(),
            load_key_file(net.account_key_path(user)).public_key.hex(),
        ]
        change = {"type": "register_institution", "id": institution, "name": institution,
                  "roles": ["bank"], "public_keys": keys}
        proposed = validators[0].send(
            build_action("governance", "propose", title=f"register {institution}",
                         change=change),
            wait=True,
        )
        committed_ok(proposed)
        assert proposed.receipt is not None
        attributes = dict(proposed.receipt.events[0].attributes)
        proposal_id = int(attributes["proposal_id"])
        for wallet in validators:
            vote = build_action("governance", "vote", proposal_id=proposal_id, choice="yes")
            committed_ok(wallet.send(vote, wait=True))
    for institution in MEMBERS:
        wait_for(
            f"{institution} registered",
            lambda i=institution: client.apps.governance.institution(id=i).authorised,
        )


def scan_home(home: Path, markers: list[bytes]) -> list[str]:
    """Every file under `home` whose bytes hold one of `markers` (raw or as hex)."""
    needles = [m for marker in markers for m in (marker, marker.hex().encode())]
    found = []
    for path in sorted(home.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            found += [f"{path.relative_to(home)}" for n in needles if n in data]
    return found


def test_content_reaches_members_only_and_a_disclosure_verifies_offline(
    network: Path, tmp_path: Path
) -> None:
    net = testnet.load_testnet(network)
    register_members(net)
    clients = {f"node{i}": net.client(f"node{i}") for i in range(4)}
    alice = Wallet.from_key_file(net.account_key_path("alice"), clients["node0"])
    bob = Wallet.from_key_file(net.account_key_path("bob"), clients["node1"])
    carol = Wallet.from_key_file(net.account_key_path("carol"), clients["node2"])

    create = build_action("private", "create_collection", collection="risk",
                          members=["bank-a", "bank-b"], threshold=2)
    committed_ok(alice.send(create, wait=True))
    short = build_action("private", "create_collection", collection="short",
                         members=["bank-a", "bank-b"], purge_after_blocks=2)
    committed_ok(alice.send(short, wait=True))

    # 1. Pushed at submission: node1 holds it, node2 and node3 never see it.
    first = b"RISK-1-" + secrets.token_hex(12).encode()
    answer = submit_private(alice, "risk", "exposure-1", first, wait=True)
    assert answer.status == "committed", answer
    held = wait_for("node1 holds exposure-1", lambda: get_private(clients["node1"], "risk",
                                                                  "exposure-1"))
    assert bytes.fromhex(held.content) == first
    for name in NON_MEMBERS:
        with pytest.raises(ApiError) as refused:
            get_private(clients[name], "risk", "exposure-1")
        assert refused.value.status == 404
    # A non-member's own node refuses its content outright (nothing pushed anywhere).
    with pytest.raises(ApiError) as refused:
        submit_private(carol, "risk", "exposure-x", b"not a member", wait=True)
    assert refused.value.code == "not_a_member_node", refused.value

    # 2. node1 away while Bob's record is made at node0... by Alice; it pulls it when back.
    testnet.down(network, nodes=["node1"])
    second = b"RISK-2-" + secrets.token_hex(12).encode()
    assert submit_private(alice, "risk", "exposure-2", second, wait=True).status == "committed"
    testnet.up(network, nodes=["node1"])
    testnet.wait_until_ready(network, timeout_s=30)
    clients["node1"] = net.client("node1")
    held = wait_for("node1 fetched exposure-2",
                    lambda: get_private(clients["node1"], "risk", "exposure-2"))
    assert bytes.fromhex(held.content) == second
    assert get_private_status(clients["node1"]).counters.get("private_stored_peer", 0) >= 1

    # 3. A purge after two blocks: the content goes, the hash stays.
    third = b"SHORT-3-" + secrets.token_hex(12).encode()
    bob = Wallet.from_key_file(net.account_key_path("bob"), clients["node1"])
    submitted = submit_private(bob, "short", "quote-3", third, wait=True)
    assert submitted.height is not None
    wait_for("node0 holds quote-3", lambda: get_private(clients["node0"], "short", "quote-3"))
    recorded = clients["node2"].apps.private.recorded(collection="short", record="quote-3")
    assert recorded.found and recorded.purge_at_height == submitted.height + 2

    def purged() -> bool:
        for name in ("node0", "node1"):
            try:
                get_private(clients[name], "short", "quote-3")
                return False
            except ApiError as exc:
                assert exc.status == 404
        return True

    wait_for("quote-3 purged", purged)
    assert clients["node0"].apps.private.recorded(collection="short", record="quote-3").found

    # 4. Disclosure of exposure-1 to an outsider, checked offline.
    data = wait_for("a provable disclosure", lambda: get_disclosure(clients["node1"], "risk",
                                                                     "exposure-1"))
    root = trust_root_from_genesis(load_genesis(net.genesis_path.read_bytes()))
    verified = verify_disclosure(data, root)
    assert verified.content == first and verified.institution == "bank-a"
    assert verified.submitter == alice.address
    forged = data.replace(first.hex().encode(), (b"X" + first[1:]).hex().encode())
    with pytest.raises(ProofError, match="not the recorded one"):
        verify_disclosure(forged, root)

    # 5. What the non-members' p2p layer handed their cores: no private frame at all.
    for name in NON_MEMBERS:
        counters = get_private_status(clients[name]).counters
        private_frames = {k: v for k, v in counters.items() if k.startswith("private_")}
        assert private_frames == {} and counters["stored"] == 0, (name, counters)
    pushed = get_private_status(clients["node0"]).counters
    assert pushed["private_push_sent"] >= 1 and pushed["stored"] >= 2

    # 6. After the network stops: no byte of any content in a non-member's home.
    testnet.down(network)
    markers = [first, second, third]
    for name in NON_MEMBERS:
        assert scan_home(net.home(name).root, markers) == [], name
    for name in ("node0", "node1"):
        found = scan_home(net.home(name).root, [first, second])
        assert any("private.sqlite" in f for f in found), (name, found)
    # The purged content is gone from the members' files too (secure_delete, WAL truncated).
    for name in ("node0", "node1"):
        assert scan_home(net.home(name).root, [third]) == [], name
