"""Properties of credentials (hypothesis), against a model written from the rules alone: under
any blocks of issues and revocations by the civil registry, its second key, the university
and an unregistered account, every outcome is the model's, and the status of every
commitment at every height so far is the model's (issued once, revoked once, by its issuer)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from chainbook.apps.identity import Issue, Revoke, compute_status
from tests.apps.identity.helpers import CIVIL, CIVIL_2, UNIVERSITY, ledger
from tests.support import ALICE, ask

SIGNERS = [CIVIL, CIVIL_2, UNIVERSITY, ALICE]
INSTITUTION = {0: "civil-registry", 1: "civil-registry", 2: "uni", 3: None}
KINDS = ["birth", "degree"]
ROLE_OF = {"civil-registry": "birth", "uni": "degree"}
COMMITMENTS = [bytes([i]) * 32 for i in range(4)]
STEP = st.tuples(
    st.sampled_from(["issue", "revoke"]),
    st.integers(0, 3),  # the signer
    st.integers(0, 3),  # the commitment
    st.integers(0, 1),  # the kind
)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.lists(STEP, max_size=4), min_size=1, max_size=8))
def test_outcomes_and_statuses_follow_the_model(
    blocks: list[list[tuple[str, int, int, int]]],
) -> None:
    chain = ledger()
    issued: dict[bytes, tuple[str, int]] = {}  # commitment -> (issuer, height)
    revoked: dict[bytes, int] = {}
    for block in blocks:
        height = chain.height + 1
        txs, expected = [], []
        for kind, signer, number, kind_index in block:
            commitment, institution = COMMITMENTS[number], INSTITUTION[signer]
            if kind == "issue":
                action: Issue | Revoke = Issue(commitment, KINDS[kind_index], ALICE.address)
                if institution is None or ROLE_OF[institution] != KINDS[kind_index]:
                    code = "identity.not_authorised"
                elif commitment in issued:
                    code = "identity.already_issued"
                else:
                    code, issued[commitment] = "", (institution, height)
            else:
                action = Revoke(commitment, "because")
                if commitment not in issued:
                    code = "identity.unknown_credential"
                elif commitment in revoked:
                    code = "identity.already_revoked"
                elif issued[commitment][0] != institution:
                    code = "identity.not_issuer"
                else:
                    code, revoked[commitment] = "", height
            txs.append(chain.tx(SIGNERS[signer], action))
            expected.append(code)
        assert [r.code for r in chain.block(txs).receipts] == expected
    for commitment in COMMITMENTS:
        for height in range(1, chain.height + 1):
            answer = ask(chain.state, "identity", "credential", commitment=commitment,
                         height=height)  # fmt: skip
            if commitment not in issued or height < issued[commitment][1]:
                model = "unknown"
            elif commitment in revoked and height >= revoked[commitment]:
                model = "revoked"
            else:
                model = "valid"
            assert answer.status == model, (commitment.hex()[:4], height, answer)
    assert compute_status(None, 5) == "unknown"
