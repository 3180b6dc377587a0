"""Text parameters (URL query, CLI options) that no msgpack integer can hold are refused as
invalid requests, never a server error."""

import pytest

from chainbook.apps.fields import InvalidField, build_from_text
from chainbook.apps.governance.queries import HistoryRequest


@pytest.mark.parametrize(
    "text", ["-9223372036854775809", "18446744073709551616", "1" * 5000, "1e3", "0x10"]
)
def test_an_integer_beyond_msgpack_or_not_decimal_is_an_invalid_field(text: str) -> None:
    with pytest.raises(InvalidField, match="before_seq"):
        build_from_text(HistoryRequest, {"before_seq": text})


def test_the_edges_of_msgpack_parse() -> None:
    assert build_from_text(HistoryRequest, {"before_seq": "0"}).before_seq == 0
    with pytest.raises(InvalidField, match=">= 0|ge|before_seq"):
        build_from_text(HistoryRequest, {"before_seq": "-1"})
