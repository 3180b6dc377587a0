"""Governance actions: submit a proposal, vote on it, withdraw it; and the kinds of change.

Wire form (MessagePack arrays, tag first; docs/PROTOCOL.md):

    ["governance.propose",  title: str, change: Change, deadline_height: uint,
                            activation_height: uint]
    ["governance.vote",     proposal_id: uint, choice: str ("yes" | "no" | "abstain")]
    ["governance.withdraw", proposal_id: uint]

    Change = one of (tag first):
    ["add_validator",        public_key: bin(32), power: uint, name: str]
    ["remove_validator",     address: bin(20)]
    ["set_validator_power",  address: bin(20), power: uint]
    ["rotate_validator_key", address: bin(20), new_public_key: bin(32)]
    ["register_institution", id: str, name: str, roles: [str], public_keys: [bin(32)]]
    ["update_institution",   id: str, name: str, roles: [str], public_keys: [bin(32)]]
    ["revoke_institution",   id: str, reason: str]
    ["set_parameter",        name: str, value: int]
    ["set_proposer",         address: bin(20), allowed: bool]

`deadline_height` 0 means "submission height + governance.voting_period_blocks";
`activation_height` 0 means "two heights after it passes" (the earliest a change may take
effect, apps/governance/schedule.py). Decoding checks the shape (types, key and address
lengths); every rule on values is checked by apps/governance/proposals.py, so a refusal names
the rule it broke and lands in a failed receipt.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from chainbook.crypto import ADDRESS_BYTES, PUBLIC_KEY_BYTES

AddressBytes = Annotated[bytes, msgspec.Meta(min_length=ADDRESS_BYTES, max_length=ADDRESS_BYTES)]
PublicKeyBytes = Annotated[
    bytes, msgspec.Meta(min_length=PUBLIC_KEY_BYTES, max_length=PUBLIC_KEY_BYTES)
]


# --- validator set --------------------------------------------------------------------------


class AddValidator(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    tag="add_validator",
):
    """Admit a validator: its consensus public key, voting power and a name for people."""

    public_key: PublicKeyBytes
    power: int
    name: str


class RemoveValidator(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    tag="remove_validator",
):
    address: AddressBytes


class SetValidatorPower(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    tag="set_validator_power",
):
    address: AddressBytes
    power: int


class RotateValidatorKey(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    tag="rotate_validator_key",
):
    """Replace a validator's consensus key: the old key signs up to activation - 1, the new
    one from the activation height on; power and name stay."""

    address: AddressBytes
    new_public_key: PublicKeyBytes


# --- institution registry -------------------------------------------------------------------


class RegisterInstitution(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    tag="register_institution",
):
    """Register an institution other modules trust in the given roles, with its keys."""

    id: str
    name: str
    roles: list[str]
    public_keys: list[PublicKeyBytes]


class UpdateInstitution(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    tag="update_institution",
):
    """Replace an institution's name, roles and keys (the id stays)."""

    id: str
    name: str
    roles: list[str]
    public_keys: list[PublicKeyBytes]


class RevokeInstitution(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    tag="revoke_institution",
):
    """Revoke an institution: it keeps its record, loses every role, for ever."""

    id: str
    reason: str


# --- parameters and who may propose ---------------------------------------------------------


class SetParameter(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    tag="set_parameter",
):
    name: str
    value: int


class SetProposer(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    tag="set_proposer",
):
    """Allow (or stop allowing) an account that is not a validator to submit proposals."""

    address: AddressBytes
    allowed: bool


ValidatorChange = AddValidator | RemoveValidator | SetValidatorPower | RotateValidatorKey
InstitutionChange = RegisterInstitution | UpdateInstitution | RevokeInstitution
Change = (
    AddValidator
    | RemoveValidator
    | SetValidatorPower
    | RotateValidatorKey
    | RegisterInstitution
    | UpdateInstitution
    | RevokeInstitution
    | SetParameter
    | SetProposer
)
CHANGE_TYPES: tuple[type[msgspec.Struct], ...] = (
    AddValidator,
    RemoveValidator,
    SetValidatorPower,
    RotateValidatorKey,
    RegisterInstitution,
    UpdateInstitution,
    RevokeInstitution,
    SetParameter,
    SetProposer,
)
VALIDATOR_CHANGE_TYPES = (AddValidator, RemoveValidator, SetValidatorPower, RotateValidatorKey)


def get_change_kind(change: Change) -> str:
    tag = type(change).__struct_config__.tag
    assert isinstance(tag, str)
    return tag


# --- the actions ----------------------------------------------------------------------------


class Propose(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    tag="governance.propose",
):
    """Submit a proposal; the sender must be a validator or an allowed proposer."""

    title: str
    change: Change
    deadline_height: int = 0
    """Votes are accepted up to this height; 0: submission height + the voting period."""
    activation_height: int = 0
    """The change takes effect at this height; 0: two heights after the proposal passes."""


class CastVote(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    tag="governance.vote",
):
    """A validator's vote on a proposal: "yes", "no" or "abstain", once."""

    proposal_id: int
    choice: str


class Withdraw(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    tag="governance.withdraw",
):
    """The author takes back a proposal that is still being voted on."""

    proposal_id: int


ACTIONS: tuple[type[msgspec.Struct], ...] = (Propose, CastVote, Withdraw)
CHOICES = ("yes", "no", "abstain")

__all__ = [
    "ACTIONS",
    "CHANGE_TYPES",
    "CHOICES",
    "VALIDATOR_CHANGE_TYPES",
    "AddValidator",
    "AddressBytes",
    "CastVote",
    "Change",
    "InstitutionChange",
    "Propose",
    "PublicKeyBytes",
    "RegisterInstitution",
    "RemoveValidator",
    "RevokeInstitution",
    "RotateValidatorKey",
    "SetParameter",
    "SetProposer",
    "SetValidatorPower",
    "UpdateInstitution",
    "ValidatorChange",
    "Withdraw",
    "get_change_kind",
]
