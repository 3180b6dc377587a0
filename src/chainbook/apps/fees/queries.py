"""Fees queries: what a wallet asks before it signs."""

from __future__ import annotations

from typing import Annotated

import msgspec

from chainbook import limits
from chainbook.apps.base import Query, QueryContext
from chainbook.apps.fees.process import compute_min_fee, get_params
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


def query_params(ctx: QueryContext, request: ParamsRequest) -> FeesParamsView:
    """The minimum fee per byte of signed transaction."""
    return FeesParamsView(get_params(ctx.view).min_fee_per_byte)


def query_minimum_fee(ctx: QueryContext, request: MinimumFeeRequest) -> MinimumFee:
    """The least fee a transaction of this many signed bytes must pay."""
    rate = get_params(ctx.view).min_fee_per_byte
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
