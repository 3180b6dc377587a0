"""What governance offers other modules during an action (apps/base.py TxView.call).

    view.call("governance", "institution", ctx, InstitutionRequest(address=..., role="issuer"))
        -> InstitutionAnswer   the contract of apps/institutions.py, on the state of the
                               block being executed (a registration that took effect at this
                               height counts); a request that breaks the contract refuses the
                               calling action (governance.invalid_request)
    view.call("governance", "param", ctx, "assets.issue_fee")
        -> int                 a parameter's value at the height of the action

Both only read: no export of governance writes anything, so another module can neither vote,
propose nor change a validator.
"""

from __future__ import annotations

from chainbook.apps.base import ExportFn, KVStore, TxContext
from chainbook.apps.fields import InvalidField
from chainbook.apps.governance.errors import InvalidRequest, UnknownParameter
from chainbook.apps.governance.params import get_param_spec, get_param_values
from chainbook.apps.governance.queries import answer_institution
from chainbook.apps.institutions import InstitutionAnswer, InstitutionRequest


def export_institution(
    view: KVStore, ctx: TxContext, caller: str, request: InstitutionRequest
) -> InstitutionAnswer:
    """An institution by id or key, and whether it is authorised in a role (read only)."""
    if not isinstance(request, InstitutionRequest):
        raise InvalidRequest(
            f"module {caller!r} asked governance.institution with a "
            f"{type(request).__name__}; it takes an InstitutionRequest"
        )
    try:
        return answer_institution(view, request)
    except InvalidField as exc:
        raise InvalidRequest(f"module {caller!r} asked governance.institution: {exc}") from None


def export_param(view: KVStore, ctx: TxContext, caller: str, name: str) -> int:
    """A parameter's value at the height of the action."""
    try:
        get_param_spec(view, name)
    except UnknownParameter as exc:
        raise InvalidRequest(f"module {caller!r} asked governance.param: {exc}") from None
    return get_param_values(view, ctx.height)[name]


EXPORTS: dict[str, ExportFn] = {"institution": export_institution, "param": export_param}

__all__ = ["EXPORTS", "export_institution", "export_param"]
