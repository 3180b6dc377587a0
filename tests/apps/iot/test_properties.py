"""Properties of readings (hypothesis), against a model written from the rules alone: under
any blocks of batches (readings of two metrics at any times and values, some with a broken
signature), every outcome is the model's; each metric's history is the model's last
history_readings_max accepted readings, strictly forward in time; the number of batches is
the number accepted; and each batch's recorded root is the Merkle root of its readings."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from chainbook.apps.iot import Reading, compute_batch_root, limits
from tests.apps.iot.helpers import DEVICE, T0, batch, gauge, reading
from tests.support import ALICE, BOB, ask, make_state, run_block, tx

METRICS = ["strain", "temp"]
READING = st.tuples(
    st.integers(0, 1),  # metric
    st.integers(-6_000, 6_000),  # value (strain's range is +-5,000)
    st.integers(0, 40),  # time offset from T0
    st.booleans(),  # a broken signature
)


def expect(readings: list[tuple[int, int, int, bool]], latest: dict[str, int]) -> str:
    seen = dict(latest)
    for metric_index, value, offset, broken in readings:
        metric = METRICS[metric_index]
        low, high = (-5_000, 5_000) if metric == "strain" else (-40_000, 85_000)
        if not low <= value <= high:
            return "iot.invalid_reading"
        if T0 + offset <= seen.get(metric, -1):
            return "iot.invalid_reading"
        seen[metric] = T0 + offset
        if broken:
            return "iot.bad_signature"
    return "" if readings else "iot.invalid_batch"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.lists(READING, max_size=5), max_size=3), min_size=1, max_size=8))
def test_outcomes_and_histories_follow_the_model(
    blocks: list[list[list[tuple[int, int, int, bool]]]],
) -> None:
    state = make_state()
    assert run_block(state, [tx(ALICE, 0, gauge())]).receipts[0].ok
    history: dict[str, list[tuple[int, int]]] = {m: [] for m in METRICS}
    accepted: list[list[Reading]] = []
    nonce = 0
    for block in blocks:
        txs, expected, submitted = [], [], []
        for readings in block:
            latest = {m: h[-1][1] for m, h in history.items() if h}
            code = expect(readings, latest)
            signed = []
            for metric_index, value, offset, broken in readings:
                one = reading(METRICS[metric_index], value, T0 + offset)
                if broken:
                    one = Reading(one.metric, one.value, one.time_ms, bytes(64))
                signed.append(one)
            if not code:
                for one in signed:
                    history[one.metric].append((one.value, one.time_ms))
                submitted.append(signed)
            txs.append(tx(BOB, nonce, batch(*signed)))
            nonce += 1
            expected.append(code)
        assert [r.code for r in run_block(state, txs).receipts] == expected
        accepted += submitted
    for metric in METRICS:
        answer = ask(state, "iot", "history", device=DEVICE, metric=metric)
        kept = history[metric][-limits.history_readings_max :]
        assert [(r.value, r.time_ms) for r in reversed(answer.readings)] == kept
    assert ask(state, "iot", "device", device=DEVICE).batches == len(accepted)
    for number, readings in enumerate(accepted, start=1):
        record = ask(state, "iot", "batch", device=DEVICE, batch=number)
        assert record.root == compute_batch_root(DEVICE, readings)
