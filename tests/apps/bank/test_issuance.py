"""Block rewards: halving, the cap reached exactly, never exceeded."""

from hypothesis import given, settings
from hypothesis import strategies as st

from chainbook.apps.bank.process import BankParams, compute_block_reward, compute_mint_amount
from tests.support import ALICE, BOB, CAROL, ask, balance_of, make_state, run_block, supply_of


def params(reward: int, interval: int, cap: int) -> BankParams:
    return BankParams("CBK", 6, reward, interval, cap)


def test_reward_halves_every_interval() -> None:
    p = params(100, 10, 10**9)
    assert [compute_block_reward(p, h) for h in (0, 1, 10, 11, 20, 21, 31)] == [
        0, 100, 100, 50, 50, 25, 12,
    ]
    assert compute_block_reward(p, 10 * 200) == 0  # shifted out, no negative, no error


def test_no_halving_when_interval_is_zero() -> None:
    assert compute_block_reward(params(7, 0, 10**9), 10**12) == 7


def test_mint_goes_to_the_proposer_with_an_event() -> None:
    state = make_state(block_reward=10, supply_max=10_000)
    from chainbook.ledger.execute import apply_block_result, execute_block
    from tests.support import CHAIN_ID, ctx

    result = execute_block(state, CHAIN_ID, [], ctx(1, proposer=CAROL))
    apply_block_result(state, result, 1)
    assert balance_of(state, CAROL.address) == 10
    assert [(e.module, e.kind, e.attributes) for e in result.events] == [
        ("bank", "mint", [("to", CAROL.address.hex()), ("amount", "10")])
    ]


def test_cap_is_reached_exactly_then_nothing_more_is_minted() -> None:
    # 1500 allocated, cap 1525, reward 10: blocks mint 10, 10, 5, 0, 0
    state = make_state(block_reward=10, supply_max=1_525)
    minted = []
    for _ in range(5):
        result = run_block(state, [])
        minted.append(sum(int(e.attributes[1][1]) for e in result.events))
    assert minted == [10, 10, 5, 0, 0]
    assert supply_of(state) == 1_525
    assert ask(state, "bank", "supply").minted == 25


def test_no_reward_configured_mints_nothing() -> None:
    state = make_state()
    result = run_block(state, [])
    assert result.events == [] and supply_of(state) == 1_500


@settings(max_examples=300, deadline=None)
@given(
    reward=st.integers(0, 10**6),
    interval=st.integers(0, 50),
    cap_room=st.integers(0, 10**8),
    supply=st.integers(0, 10**12),
    height=st.integers(1, 10**7),
)
def test_mint_never_exceeds_cap(
    reward: int, interval: int, cap_room: int, supply: int, height: int
) -> None:
    p = params(reward, interval, supply + cap_room)
    amount = compute_mint_amount(p, height, supply)
    assert 0 <= amount <= compute_block_reward(p, height) <= reward
    assert supply + amount <= p.supply_max
    if compute_block_reward(p, height) >= cap_room:
        assert supply + amount == p.supply_max  # the cap is reached exactly


@settings(max_examples=200, deadline=None)
@given(reward=st.integers(1, 10**6), interval=st.integers(1, 40), heights=st.integers(1, 400))
def test_total_minted_over_many_heights_follows_the_schedule(
    reward: int, interval: int, heights: int
) -> None:
    cap = 10**12
    p = params(reward, interval, cap)
    supply = 0
    for h in range(1, heights + 1):
        supply += compute_mint_amount(p, h, supply)
    expected = sum(reward >> ((h - 1) // interval) for h in range(1, heights + 1))
    assert supply == min(expected, cap)


def test_executed_chain_tracks_supply_across_halvings() -> None:
    state = make_state(block_reward=8, halving_interval_blocks=2, supply_max=10**6)
    for _ in range(9):
        run_block(state, [])
    # 8+8+4+4+2+2+1+1+0
    assert supply_of(state) == 1_500 + 30
    assert balance_of(state, ALICE.address) + balance_of(state, BOB.address) == 1_500
