"""The log budget on its own: lines per key per window, and the count of lines held back."""

from __future__ import annotations

import pytest

from chainbook.p2p.log_limit import LogLimiter


def test_lines_up_to_the_budget_pass_then_are_held_back_and_counted() -> None:
    limiter = LogLimiter(lines_max=3, interval_s=10.0)
    assert [limiter.admit("peers_max", now_s=0.0) for _ in range(3)] == [0, 0, 0]
    assert [limiter.admit("peers_max", now_s=9.99) for _ in range(5)] == [None] * 5
    assert limiter.suppressed_total == 5
    # The next window: its first line says how many were held back since the last one.
    assert limiter.admit("peers_max", now_s=10.0) == 5
    assert limiter.admit("peers_max", now_s=10.0) == 0
    assert limiter.suppressed_total == 5


def test_keys_have_separate_budgets() -> None:
    limiter = LogLimiter(lines_max=1, interval_s=1.0)
    assert limiter.admit("a", now_s=0) == 0
    assert limiter.admit("a", now_s=0) is None
    assert limiter.admit("b", now_s=0) == 0


def test_a_flood_costs_at_most_the_budget_per_window() -> None:
    limiter = LogLimiter(lines_max=10, interval_s=10.0)
    # 20,000 refusals over 40 s (the rate measured in the attack): 4 windows of 10 lines.
    written = [limiter.admit("x", now_s=i * 0.002) for i in range(20_000)]
    assert sum(1 for held in written if held is not None) == 40
    assert limiter.suppressed_total == 20_000 - 40


def test_nonsense_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="lines_max must be at least 1, got 0"):
        LogLimiter(lines_max=0, interval_s=1)
    with pytest.raises(ValueError, match="interval_s must be > 0, got 0"):
        LogLimiter(lines_max=1, interval_s=0)
