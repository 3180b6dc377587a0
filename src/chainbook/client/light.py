"""Following the validator set from genesis to a height, as a light client does.

Rules kept (CometBFT's light client, sequential verification, is the model):
- Trust starts from the genesis file: its chain id and its validator set, in force from height 1.
- A hop is one change of the set: the header at height h whose next_validators_hash differs from
  its validators_hash, that header's commit certificate, and the new set. A hop is accepted only
  if the header is for this chain, above the previous hop and below the target height, was made
  by the set in force (validators_hash equals its hash), is certified by more than 2/3 of that
  set's power (every signature checked), and the new set hashes to next_validators_hash. The new
  set is in force from h + 1.
- Hops come oldest first and none may be skipped: a header of the target height signed by a set
  that the hops did not reach (a change left out, or a set forged) does not name the set in force
  and is refused. A set that changes nothing is not a hop and is refused.
- What it cannot rule out is what no light client can: more than 2/3 of a past set's power
  signing a forged history after they left (a long-range attack); in a consortium the members are
  known and accountable for what they sign.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from chainbook import codec
from chainbook.api.proof_views import VALIDATOR_CHANGES_MAX, ValidatorChangeView
from chainbook.chain.block import Header, compute_header_hash
from chainbook.chain.commit import Commit, verify_commit
from chainbook.chain.validators import Validator, ValidatorSet
from chainbook.errors import DecodeError, InvalidBlock
from chainbook.types import Height


class ProofError(Exception):
    """A proof does not hold; the message names the check that failed and the values."""


class TrustRoot(msgspec.Struct, frozen=True):
    """What a verifier trusts before it reads a proof: the chain id and the genesis set."""

    chain_id: str
    validators: list[Validator]
    source: str
    """Where it came from, for people ("genesis file net/genesis.json")."""

    @property
    def validator_set(self) -> ValidatorSet:
        return ValidatorSet(list(self.validators))


def decode_hex(field: str, text: str, limit: int = 4 * 1024 * 1024) -> bytes:
    if len(text) > limit:
        raise ProofError(f"{field}: {len(text)} hex characters, at most {limit} accepted")
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise ProofError(f"{field}: not hex (pairs of 0-9a-f), got {text[:40]!r}") from None


def decode_header(field: str, text: str) -> Header:
    try:
        return codec.decode_canonical(decode_hex(field, text), Header)
    except DecodeError as exc:
        raise ProofError(f"{field}: {exc}") from None


def decode_commit(field: str, text: str) -> Commit:
    try:
        return codec.decode_canonical(decode_hex(field, text), Commit)
    except DecodeError as exc:
        raise ProofError(f"{field}: {exc}") from None


def decode_validator_set(field: str, text: str) -> ValidatorSet:
    try:
        validators = codec.decode_canonical(decode_hex(field, text), list[Validator])
        return ValidatorSet(validators)
    except (DecodeError, ValueError) as exc:
        raise ProofError(f"{field}: {exc}") from None


def verify_certified_header(
    field: str, chain_id: str, validators: ValidatorSet, header: Header, commit: Commit
) -> None:
    """`header` is of this chain, names `validators` as its set, and `commit` certifies it."""
    if header.chain_id != chain_id:
        raise ProofError(f"{field}: header of chain {header.chain_id!r}, expected {chain_id!r}")
    if header.validators_hash != validators.hash:
        raise ProofError(
            f"{field}: the header at height {header.height} names validator set "
            f"{header.validators_hash.hex()[:16]}, the set in force there is "
            f"{validators.hash.hex()[:16]} (a validator-set change is missing or forged)"
        )
    try:
        verify_commit(chain_id, validators, commit, header.height, compute_header_hash(header))
    except InvalidBlock as exc:
        raise ProofError(f"{field}: commit certificate: {exc}") from None


def verify_validator_changes(
    root: TrustRoot, changes: Sequence[ValidatorChangeView], to_height: Height
) -> ValidatorSet:
    """The validator set in force at `to_height`, reached hop by hop from the genesis set;
    ProofError naming the first hop that does not hold."""
    if len(changes) > VALIDATOR_CHANGES_MAX:
        raise ProofError(
            f"{len(changes)} validator-set changes, at most {VALIDATOR_CHANGES_MAX} accepted"
        )
    trusted = root.validator_set
    last_height = 0
    for number, change in enumerate(changes):
        field = f"validator change {number}"
        header = decode_header(f"{field} header", change.header)
        commit = decode_commit(f"{field} commit", change.commit)
        new_set = decode_validator_set(f"{field} validators", change.validators)
        if header.height != change.height:
            raise ProofError(f"{field}: says height {change.height}, its header {header.height}")
        if not last_height < header.height < to_height:
            raise ProofError(
                f"{field}: at height {header.height}; changes must be in increasing height "
                f"order, after {last_height} and below {to_height}"
            )
        verify_certified_header(field, root.chain_id, trusted, header, commit)
        if header.next_validators_hash == header.validators_hash:
            raise ProofError(f"{field}: the header at {header.height} changes no validator")
        if new_set.hash != header.next_validators_hash:
            raise ProofError(
                f"{field}: the new set hashes to {new_set.hash.hex()[:16]}, the header "
                f"announces {header.next_validators_hash.hex()[:16]}"
            )
        trusted, last_height = new_set, header.height
    return trusted


__all__ = [
    "ProofError",
    "TrustRoot",
    "decode_commit",
    "decode_header",
    "decode_hex",
    "decode_validator_set",
    "verify_certified_header",
    "verify_validator_changes",
]
