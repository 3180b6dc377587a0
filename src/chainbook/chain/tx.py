"""Signed transactions: the envelope, the signed bytes, and the checks done once at admission.

Layout (docs/PROTOCOL.md gives the bytes):

    SignedTx = [body: bin, signatures: [bin(64), ...]]      signatures[i] is by body.keys[i]
    body     = MessagePack of TxBody =
               [chain_id: str, keys: [bin(32), ...], accounts: [bin(20), ...] | nil,
                nonce: uint, fee: uint, action: [tag: str, ...fields]]
    signed message = b"chainbook/tx/v2" 0x00 body           (the same bytes for every key)

Rules kept:
- The body is carried as the exact bytes that were signed, so nobody re-encodes it before
  checking a signature. The chain id (in the body) and the domain tag are inside the signed
  message, so a signature is valid on one chain and for transactions only; a transaction for
  another chain is refused as WrongChainId before any signature is checked.
- The signing keys are part of the body, so every signer signs the whole set of signers: nobody
  can add a signature to a transaction, drop one, or reorder them without invalidating every
  other one. One body therefore has one valid SignedTx (libsodium refuses non-canonical
  signatures), and a transaction's hash, its identity, cannot be changed in transit.
- 1..limits.tx_signatures_max distinct keys, each with exactly one 64-byte signature that
  verifies; a transaction with any bad or missing signature is refused as a whole.
- `accounts` names the accounts the transaction acts for: the sender first, then its
  co-signers, distinct, 1..limits.tx_accounts_max. nil (the common case, one byte) means one
  account: the address of keys[0]. Whether the keys may speak for those accounts is the
  ledger's question (ledger/authorization.py), asked against the state: this module checks
  only what the bytes alone decide.
- `nonce` is the sender's; co-signers' nonces do not move. `fee` is paid by the sender in the
  native coin (apps/fees), 0 where the chain asks none.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import msgspec

from chainbook import codec, limits
from chainbook.crypto import (
    ADDRESS_BYTES,
    PUBLIC_KEY_BYTES,
    SIGNATURE_BYTES,
    PrivateKey,
    address_from_public_key,
    sha256,
    verify_signature,
)
from chainbook.errors import DecodeError, InvalidSignature, TooLarge, WrongChainId
from chainbook.types import Address, Amount, Hash, Nonce, PublicKey

TX_DOMAIN_TAG = b"chainbook/tx/v2"
MISSING_SIGNATURE = b""
"""What a signature slot holds until its key signs (a transaction passed between signers)."""


class TxBody(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True, gc=False):
    """What every signer signs: the keys, the accounts, the sender's nonce, the fee, one action.

    `action` is kept raw here: the chain layer does not know the app modules; the ledger's
    action registry decodes it into a typed struct (chainbook.apps.registry).
    """

    chain_id: str
    keys: tuple[bytes, ...]
    """The public keys that sign, in the order of the signatures."""
    accounts: tuple[bytes, ...] | None
    """The sender, then the co-signers; None: one account, the address of keys[0]."""
    nonce: Nonce
    fee: Amount
    action: msgspec.Raw


class SignedTx(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True, gc=False):
    body: bytes
    signatures: tuple[bytes, ...]


def signing_message(body: bytes) -> bytes:
    """The exact bytes each Ed25519 signature of a transaction covers."""
    return TX_DOMAIN_TAG + b"\x00" + body


def tx_hash(tx_bytes: bytes) -> Hash:
    """A transaction's identity: SHA-256 of its canonical encoded SignedTx bytes."""
    return sha256(tx_bytes)


# --- building and signing ---------------------------------------------------------------------


def encode_tx_body(
    chain_id: str,
    keys: Sequence[PublicKey],
    nonce: Nonce,
    action: msgspec.Struct,
    *,
    fee: Amount = 0,
    accounts: Sequence[Address] | None = None,
) -> bytes:
    """The body every key signs (see the module docstring)."""
    return codec.encode(
        TxBody(
            chain_id=chain_id,
            keys=tuple(keys),
            accounts=None if accounts is None else tuple(accounts),
            nonce=nonce,
            fee=fee,
            action=msgspec.Raw(codec.encode(action)),
        )
    )


def prepare_tx(
    chain_id: str,
    keys: Sequence[PublicKey],
    nonce: Nonce,
    action: msgspec.Struct,
    *,
    fee: Amount = 0,
    accounts: Sequence[Address] | None = None,
) -> bytes:
    """A transaction no key has signed yet: each signer adds its signature (add_signature),
    offline, in any order; it is valid once every key has signed."""
    body = encode_tx_body(chain_id, keys, nonce, action, fee=fee, accounts=accounts)
    return codec.encode(SignedTx(body, (MISSING_SIGNATURE,) * len(keys)))


def add_signature(tx_bytes: bytes, key: PrivateKey) -> bytes:
    """`tx_bytes` with `key`'s signature in its slot. Raises DecodeError when the bytes are no
    transaction or `key` is not one of its keys (the body names who signs)."""
    signed = codec.decode_canonical(tx_bytes, SignedTx)
    body = codec.decode_canonical(signed.body, TxBody)
    if key.public_key not in body.keys:
        listed = ", ".join(k.hex() for k in body.keys)
        raise DecodeError(
            f"key {key.public_key.hex()} is not a signer of this transaction; its keys: {listed}"
        )
    if len(signed.signatures) != len(body.keys):
        raise DecodeError(
            f"the transaction has {len(signed.signatures)} signature slots for "
            f"{len(body.keys)} keys"
        )
    index = body.keys.index(key.public_key)
    signatures = list(signed.signatures)
    signatures[index] = key.sign(signing_message(signed.body))
    return codec.encode(SignedTx(signed.body, tuple(signatures)))


def get_unsigned_keys(tx_bytes: bytes) -> list[PublicKey]:
    """The keys of `tx_bytes` whose signature slot is still empty."""
    signed = codec.decode_canonical(tx_bytes, SignedTx)
    body = codec.decode_canonical(signed.body, TxBody)
    return [
        key
        for key, signature in zip(body.keys, signed.signatures, strict=False)
        if signature == MISSING_SIGNATURE
    ]


def sign_tx(
    key: PrivateKey, chain_id: str, nonce: Nonce, action: msgspec.Struct, *, fee: Amount = 0
) -> bytes:
    """Build and sign a one-key transaction (the common case); returns the SignedTx bytes."""
    body = encode_tx_body(chain_id, (key.public_key,), nonce, action, fee=fee)
    return codec.encode(SignedTx(body, (key.sign(signing_message(body)),)))


def sign_tx_by(
    keys: Sequence[PrivateKey],
    chain_id: str,
    nonce: Nonce,
    action: msgspec.Struct,
    *,
    fee: Amount = 0,
    accounts: Sequence[Address] | None = None,
) -> bytes:
    """Build a transaction signed by every one of `keys` at once (all held in one place)."""
    body = encode_tx_body(
        chain_id, [k.public_key for k in keys], nonce, action, fee=fee, accounts=accounts
    )
    message = signing_message(body)
    return codec.encode(SignedTx(body, tuple(k.sign(message) for k in keys)))


FEE_FIT_ROUNDS_MAX = 8


def fit_fee(make_tx: Callable[[Amount], bytes], min_fee_per_byte: Amount) -> bytes:
    """`make_tx(fee)` with the least fee that covers min_fee_per_byte x its own size.

    The fee is inside the bytes it pays for, so a larger fee may take a byte or two more;
    each round sets the fee for the last size until it covers it (two rounds at most in
    practice: a size grows by at most 8 bytes with its fee).
    """
    fee: Amount = 0
    for _ in range(FEE_FIT_ROUNDS_MAX):
        tx_bytes = make_tx(fee)
        needed = min_fee_per_byte * len(tx_bytes)
        if fee >= needed:
            return tx_bytes
        fee = needed
    raise AssertionError(f"no fee fits after {FEE_FIT_ROUNDS_MAX} rounds (last {fee})")


# --- decoding and verifying -------------------------------------------------------------------


class DecodedTx(msgspec.Struct, frozen=True, gc=False):
    """A transaction after admission: decoded once, signatures checked once, hash computed once.

    gc=False: it holds only bytes, str, int and tuples of them, so it can never be part of a
    reference cycle; untracked, the tens of thousands a mempool holds cost the cyclic
    collector nothing.
    """

    tx_bytes: bytes
    hash: Hash
    chain_id: str
    sender: Address
    """accounts[0]: whose nonce this transaction uses and who pays its fee."""
    nonce: Nonce
    fee: Amount
    action_bytes: bytes
    public_keys: tuple[PublicKey, ...]
    key_addresses: tuple[Address, ...]
    """The address of each of `public_keys`, in the same order."""
    accounts: tuple[Address, ...]
    """The accounts the transaction acts for: the sender, then the co-signers."""


_SENDERS_CACHED_MAX = 65_536
"""Bound of the public key -> address memo (cleared when full; about 6 MiB at most)."""
_senders: dict[bytes, Address] = {}
"""Memo of address_from_public_key: a sender signs many transactions, and each decode would
otherwise hash its public key again. A pure function's memo: it changes no result. Safe
under threads (the node may verify in a pool): each dict operation is atomic."""


def get_sender(public_key: bytes) -> Address:
    """The address of `public_key` (crypto.address_from_public_key), memoised."""
    sender = _senders.get(public_key)
    if sender is None:
        sender = address_from_public_key(public_key)
        if len(_senders) >= _SENDERS_CACHED_MAX:
            _senders.clear()
        _senders[public_key] = sender
    return sender


def decode_tx(tx_bytes: bytes, *, hash_: Hash | None = None) -> DecodedTx:
    """Decode and shape-check a signed transaction, without checking the signatures.

    `hash_`, when given, must be tx_hash(tx_bytes) (a caller that already computed it).
    """
    return _decode_signed(tx_bytes, hash_)[0]


def _decode_signed(tx_bytes: bytes, hash_: Hash | None) -> tuple[DecodedTx, SignedTx]:
    if len(tx_bytes) > limits.tx_bytes_max:
        raise TooLarge("transaction", size=len(tx_bytes), limit=limits.tx_bytes_max)
    signed = codec.decode_canonical(tx_bytes, SignedTx)
    body = codec.decode_canonical(signed.body, TxBody)
    keys, signatures = body.keys, signed.signatures
    if (
        len(keys) == len(signatures) == 1  # the common case, checked without the loops
        and body.accounts is None
        and len(keys[0]) == PUBLIC_KEY_BYTES
        and len(signatures[0]) == SIGNATURE_BYTES
    ):
        key_addresses: tuple[Address, ...] = (get_sender(keys[0]),)
        accounts = key_addresses
    else:
        verify_keys(keys)
        verify_signature_slots(keys, signatures)
        key_addresses = tuple([get_sender(key) for key in keys])
        accounts = key_addresses[:1] if body.accounts is None else body.accounts
        verify_accounts(accounts)
    if body.nonce < 0:
        raise DecodeError(f"nonce must be >= 0, got {body.nonce}")
    if body.fee < 0:
        raise DecodeError(f"fee must be >= 0, got {body.fee}")
    # Positional (in field order): cheaper than keywords on the admission path.
    decoded = DecodedTx(
        tx_bytes,
        tx_hash(tx_bytes) if hash_ is None else hash_,
        body.chain_id,
        accounts[0],
        body.nonce,
        body.fee,
        bytes(body.action),
        keys,
        key_addresses,
        accounts,
    )
    return decoded, signed


def verify_keys(keys: tuple[bytes, ...]) -> None:
    count = len(keys)
    if not 1 <= count <= limits.tx_signatures_max:
        raise DecodeError(
            f"a transaction has 1 to {limits.tx_signatures_max} keys, got {count}"
        )
    for index, key in enumerate(keys):
        if len(key) != PUBLIC_KEY_BYTES:
            raise DecodeError(
                f"keys[{index}] must be a {PUBLIC_KEY_BYTES}-byte public key, got {len(key)} bytes"
            )
    if count > 1 and len(set(keys)) != count:
        raise DecodeError("a key appears twice in the transaction's keys; list each key once")


def verify_signature_slots(keys: tuple[bytes, ...], signatures: tuple[bytes, ...]) -> None:
    if len(signatures) != len(keys):
        raise DecodeError(
            f"the transaction has {len(keys)} keys and {len(signatures)} signatures; "
            "each key needs exactly one"
        )
    for index, signature in enumerate(signatures):
        if len(signature) != SIGNATURE_BYTES:
            what = "is missing" if signature == MISSING_SIGNATURE else f"has {len(signature)} bytes"
            raise DecodeError(
                f"signature {index} (key {keys[index].hex()}) {what}; "
                f"a signature is {SIGNATURE_BYTES} bytes"
            )


def verify_accounts(accounts: tuple[bytes, ...]) -> None:
    count = len(accounts)
    if not 1 <= count <= limits.tx_accounts_max:
        raise DecodeError(
            f"a transaction acts for 1 to {limits.tx_accounts_max} accounts, got {count} "
            "(write nil for the one account of keys[0])"
        )
    for index, account in enumerate(accounts):
        if len(account) != ADDRESS_BYTES:
            raise DecodeError(
                f"accounts[{index}] must be a {ADDRESS_BYTES}-byte address, "
                f"got {len(account)} bytes"
            )
    if count > 1 and len(set(accounts)) != count:
        raise DecodeError("an account appears twice in the transaction's accounts")


def verify_tx(chain_id: str, tx_bytes: bytes, *, hash_: Hash | None = None) -> DecodedTx:
    """Decode, check the chain id, then every signature.

    Raises DecodeError, TooLarge, WrongChainId or InvalidSignature. This defines a valid
    transaction; everything after admission trusts a DecodedTx. (runtime/verifier.py splits the
    same checks between a worker process, the signatures, and the node, decoding and chain id,
    with exactly this outcome.) `hash_`, when given, must be tx_hash(tx_bytes). Pure and
    thread-safe; the result may be handed to Mempool.add(tx_bytes, verified=...).
    """
    decoded, signed = _decode_signed(tx_bytes, hash_)
    if decoded.chain_id != chain_id:
        raise WrongChainId(
            f"transaction is for chain {decoded.chain_id!r}, this is chain {chain_id!r}"
        )
    message = signing_message(signed.body)
    for index, (key, signature) in enumerate(
        zip(decoded.public_keys, signed.signatures, strict=True)
    ):
        if not verify_signature(key, message, signature):
            raise InvalidSignature(
                f"signature {index} does not verify against key {key.hex()} and the body"
            )
    return decoded


__all__ = [
    "MISSING_SIGNATURE",
    "TX_DOMAIN_TAG",
    "DecodedTx",
    "SignedTx",
    "TxBody",
    "add_signature",
    "decode_tx",
    "encode_tx_body",
    "fit_fee",
    "get_sender",
    "get_unsigned_keys",
    "prepare_tx",
    "sign_tx",
    "sign_tx_by",
    "signing_message",
    "tx_hash",
    "verify_accounts",
    "verify_keys",
    "verify_signature_slots",
    "verify_tx",
]
