"""Signed transactions: the envelope, the signed bytes, and the checks done once at admission.

Layout (docs/PROTOCOL.md gives the bytes):

    SignedTx = [body: bin, public_key: bin(32), signature: bin(64)]
    body     = MessagePack of TxBody = [chain_id: str, nonce: uint, action: [tag: str, ...fields]]
    signed message = b"chainbook/tx/v1" 0x00 body

The body is carried as the exact bytes that were signed, so nobody re-encodes it before checking
the signature. The chain id (in the body) and a domain tag are inside the signed message, so a
signature is valid on one chain and for transactions only; a transaction for another chain is
refused as WrongChainId before its signature is even checked. The sender is the address of
`public_key`; the per-account nonce stops replay on the same chain.
"""

from __future__ import annotations

import msgspec

from chainbook import codec, limits
from chainbook.crypto import (
    PUBLIC_KEY_BYTES,
    SIGNATURE_BYTES,
    PrivateKey,
    address_from_public_key,
    sha256,
    verify_signature,
)
from chainbook.errors import DecodeError, InvalidSignature, TooLarge, WrongChainId
from chainbook.types import Address, Hash, Nonce

TX_DOMAIN_TAG = b"chainbook/tx/v1"


class TxBody(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True, gc=False):
    """What the sender signs: its next nonce and one action of one app module.

    `action` is kept raw here: the chain layer does not know the app modules; the ledger's
    action registry decodes it into a typed struct (chainbook.apps.registry).
    """

    chain_id: str
    nonce: Nonce
    action: msgspec.Raw


class SignedTx(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True, gc=False):
    body: bytes
    public_key: bytes
    signature: bytes

    @property
    def sender(self) -> Address:
        return address_from_public_key(self.public_key)


def signing_message(body: bytes) -> bytes:
    """The exact bytes an Ed25519 signature of a transaction covers."""
    return TX_DOMAIN_TAG + b"\x00" + body


def tx_hash(tx_bytes: bytes) -> Hash:
    """A transaction's identity: SHA-256 of its canonical encoded SignedTx bytes."""
    return sha256(tx_bytes)


def sign_tx(key: PrivateKey, chain_id: str, nonce: Nonce, action: msgspec.Struct) -> bytes:
    """Build and sign a transaction; returns the encoded SignedTx bytes."""
    body = codec.encode(
        TxBody(chain_id=chain_id, nonce=nonce, action=msgspec.Raw(codec.encode(action)))
    )
    signature = key.sign(signing_message(body))
    return codec.encode(SignedTx(body=body, public_key=key.public_key, signature=signature))


class DecodedTx(msgspec.Struct, frozen=True, gc=False):
    """A transaction after admission: decoded once, signature checked once, hash computed once.

    gc=False: it holds only bytes, str and int, so it can never be part of a reference cycle;
    untracked, the tens of thousands a mempool holds cost the cyclic collector nothing.
    """

    tx_bytes: bytes
    hash: Hash
    chain_id: str
    sender: Address
    nonce: Nonce
    action_bytes: bytes
    public_key: bytes


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
    """Decode and shape-check a signed transaction, without checking the signature.

    `hash_`, when given, must be tx_hash(tx_bytes) (a caller that already computed it).
    """
    return _decode_signed(tx_bytes, hash_)[0]


def _decode_signed(tx_bytes: bytes, hash_: Hash | None) -> tuple[DecodedTx, SignedTx]:
    if len(tx_bytes) > limits.tx_bytes_max:
        raise TooLarge("transaction", size=len(tx_bytes), limit=limits.tx_bytes_max)
    signed = codec.decode_canonical(tx_bytes, SignedTx)
    if len(signed.public_key) != PUBLIC_KEY_BYTES:
        raise DecodeError(
            f"public_key must be {PUBLIC_KEY_BYTES} bytes, got {len(signed.public_key)}"
        )
    if len(signed.signature) != SIGNATURE_BYTES:
        raise DecodeError(f"signature must be {SIGNATURE_BYTES} bytes, got {len(signed.signature)}")
    body = codec.decode_canonical(signed.body, TxBody)
    if body.nonce < 0:
        raise DecodeError(f"nonce must be >= 0, got {body.nonce}")
    decoded = DecodedTx(
        tx_bytes=tx_bytes,
        hash=tx_hash(tx_bytes) if hash_ is None else hash_,
        chain_id=body.chain_id,
        sender=get_sender(signed.public_key),
        nonce=body.nonce,
        action_bytes=bytes(body.action),
        public_key=signed.public_key,
    )
    return decoded, signed


def verify_tx(chain_id: str, tx_bytes: bytes, *, hash_: Hash | None = None) -> DecodedTx:
    """Decode, check the chain id, then the signature.

    Raises DecodeError, TooLarge, WrongChainId or InvalidSignature. This defines a valid
    transaction; everything after admission trusts a DecodedTx. (runtime/verifier.py splits the
    same checks between a worker process, the signature, and the node, decoding and chain id,
    with exactly this outcome.) `hash_`, when given, must be tx_hash(tx_bytes). Pure and
    thread-safe; the result may be handed to Mempool.add(tx_bytes, verified=...).
    """
    decoded, signed = _decode_signed(tx_bytes, hash_)
    if decoded.chain_id != chain_id:
        raise WrongChainId(
            f"transaction is for chain {decoded.chain_id!r}, this is chain {chain_id!r}"
        )
    if not verify_signature(signed.public_key, signing_message(signed.body), signed.signature):
        raise InvalidSignature("signature does not verify against the public key and body")
    return decoded


__all__ = [
    "TX_DOMAIN_TAG",
    "DecodedTx",
    "SignedTx",
    "TxBody",
    "decode_tx",
    "get_sender",
    "sign_tx",
    "signing_message",
    "tx_hash",
    "verify_tx",
]
