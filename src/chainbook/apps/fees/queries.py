"""Fees queries: what a wallet asks before it signs."""

from __future__ import annotations

from typing import Annotated

import msgspec

from chainbook import limits
from chainbook.apps.base import Query, QueryContext
from chainbook.apps.chain_governance import ParamRequest, ParamValue
from chainbook.apps.fees.process import MIN_FEE_PER_BYTE_PARAM, compute_min_fee, get_params
from chainbook.errors import InvalidInput
from chainbook.types import Amount


class ParamsRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    pass


class FeesParamsView(msgspec.Struct, frozen=True):
    min_fee_per_byte: Amount
    """Every transaction pays at least this x its signed bytes (burnt)."""


class MinimumFeeRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    tx_bytes: Annotated[int, msgspec.Meta(ge=1, le=limits.tx_bytes_max)]


class MinimumFee(msgspec.Struct, frozen=True):
    tx_bytes: int
    fee: Amount


def get_next_min_fee_per_byte(ctx: QueryContext) -> int:
    """The minimum of the next block (committed height + 1), which a transaction signed now
    must pay: the governed parameter, or the genesis value on a chain without governance."""
    request = ParamRequest(MIN_FEE_PER_BYTE_PARAM, ctx.height + 1)
    try:
        answer = ctx.ask("governance", "param", request)
    except InvalidInput:  # UnknownQuery: a registry without the governing module
        return get_params(ctx.view).min_fee_per_byte
    assert isinstance(answer, ParamValue)
    return answer.value


def query_params(ctx: QueryContext, request: ParamsRequest) -> FeesParamsView:
    """The minimum fee per byte of signed transaction (of the next block)."""
    return FeesParamsView(get_next_min_fee_per_byte(ctx))


def query_minimum_fee(ctx: QueryContext, request: MinimumFeeRequest) -> MinimumFee:
    """The least fee a transaction of this many signed bytes must pay (in the next block)."""
    rate = get_next_min_fee_per_byte(ctx)
    return MinimumFee(request.tx_bytes, compute_min_fee(rate, request.tx_bytes))


QUERIES = (
    Query("params", ParamsRequest, FeesParamsView, query_params),
    Query("minimum_fee", MinimumFeeRequest, MinimumFee, query_minimum_fee),
)

__all__ = [
    "QUERIES",
    "FeesParamsView",
    "MinimumFee",
    "MinimumFeeRequest",
    "ParamsRequest",
    "query_minimum_fee",
    "query_params",
]
