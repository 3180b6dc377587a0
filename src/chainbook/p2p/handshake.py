"""The Hello exchange after TLS: who the peer is, and whether we talk to it.

Checks, in this order, each refusal naming its reason (``CloseReason``) and both values:

1. **Certificate key.** The peer's id is the 32-byte Ed25519 key of its TLS certificate (the CA
   signature was checked by TLS itself). No certificate, or a non-Ed25519 key:
   ``certificate_invalid``. Our own key: ``self_connection`` (the dialer stops dialing that
   address).
2. **Pinned id** (dialing an ``id@host:port`` address only): another key is
   ``peer_id_mismatch``.
3. **Identity policy** (revoked, banned: asked of the peer table by the caller, see
   ``transport``), before any Hello is sent, so a refused peer learns nothing of us.
4. **Hello.** Both sides send one ``Hello`` frame at once (neither waits for the other) and read
   one of at most ``HELLO_BYTES_MAX`` bytes: a frame that breaks the framing rules or does not
   decode as a ``Hello`` is ``hello_invalid``; then ``protocol_version``, ``chain_id`` and
   ``network_id`` must equal ours (``*_mismatch``), and the Hello's key must be the certificate
   key (``hello_key_mismatch``).

``network_id`` is opaque to p2p (the node passes its genesis hash): two networks that share a
chain id by accident, or a node started with another genesis, refuse each other on both sides.

The whole handshake, from TCP accept (or connect) until the peer's Hello is verified, runs under
one deadline set by the caller (``handshake_timeout_ms``).
"""

from __future__ import annotations

import asyncio
from typing import Annotated

import msgspec

from chainbook.p2p import frames, tls
from chainbook.p2p.address import PORT_MAX
from chainbook.p2p.reasons import CloseReason, short_hex

__all__ = [
    "PROTOCOL_VERSION",
    "HELLO_BYTES_MAX",
    "CHAIN_ID_BYTES_MAX",
    "NETWORK_ID_BYTES_MAX",
    "Hello",
    "HandshakeRefused",
    "encode_hello",
    "verify_certificate_key",
    "verify_pinned_peer_id",
    "exchange_hellos",
    "verify_hello",
]

PROTOCOL_VERSION = 2  # 2: Hello carries network_id; ping/pong control frames
HELLO_BYTES_MAX = 1024  # a Hello is read before the peer is trusted: keep its bound small
CHAIN_ID_BYTES_MAX = 256  # with NETWORK_ID_BYTES_MAX, so that our own Hello fits HELLO_BYTES_MAX
NETWORK_ID_BYTES_MAX = 64  # room for a SHA-512 digest; the node passes a 32-byte genesis hash


class Hello(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The first frame each side sends after the TLS handshake (MessagePack map)."""

    protocol_version: Annotated[int, msgspec.Meta(ge=0)]
    chain_id: Annotated[str, msgspec.Meta(min_length=1, max_length=CHAIN_ID_BYTES_MAX)]
    public_key: Annotated[
        bytes,
        msgspec.Meta(
            min_length=tls.ED25519_PUBLIC_KEY_BYTES, max_length=tls.ED25519_PUBLIC_KEY_BYTES
        ),
    ]
    listen_port: Annotated[int, msgspec.Meta(ge=0, le=PORT_MAX)]
    # Last, with a default, so that a Hello built positionally by older callers keeps its meaning.
    network_id: Annotated[bytes, msgspec.Meta(max_length=NETWORK_ID_BYTES_MAX)] = b""


_hello_decoder = msgspec.msgpack.Decoder(Hello)


class HandshakeRefused(Exception):
    """The handshake ended without a peer; ``peer_id`` is known once the certificate was read."""

    def __init__(self, reason: CloseReason, detail: str, peer_id: bytes | None = None) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
        self.peer_id = peer_id


def encode_hello(hello: Hello) -> bytes:
    """Our Hello as a frame; raises ``OversizeFrame`` if it would not fit HELLO_BYTES_MAX."""
    return frames.encode_frame(msgspec.msgpack.encode(hello), HELLO_BYTES_MAX)


def verify_certificate_key(writer: asyncio.StreamWriter, local_peer_id: bytes) -> bytes:
    """The peer's id: the Ed25519 key of its verified certificate (check 1)."""
    ssl_object = writer.get_extra_info("ssl_object")
    if ssl_object is None:
        raise HandshakeRefused(CloseReason.CERTIFICATE_INVALID, "connection is not TLS")
    try:
        peer_id = tls.peer_public_key(ssl_object)
    except (tls.InvalidPeerCertificate, ValueError) as error:
        raise HandshakeRefused(CloseReason.CERTIFICATE_INVALID, str(error)) from None
    if peer_id == local_peer_id:
        raise HandshakeRefused(CloseReason.SELF_CONNECTION, "peer key is our own", peer_id)
    return peer_id


def verify_pinned_peer_id(pinned: bytes | None, peer_id: bytes) -> None:
    """Check 2: the peer at an ``id@host:port`` address must prove that id."""
    if pinned is not None and pinned != peer_id:
        raise HandshakeRefused(
            CloseReason.PEER_ID_MISMATCH,
            f"address pins node id {pinned.hex()}, the peer's certificate is {peer_id.hex()}",
            peer_id,
        )


async def exchange_hellos(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, hello_frame: bytes
) -> Hello:
    """Send our Hello and read theirs (check 4 starts here; the caller holds the deadline)."""
    try:
        writer.write(hello_frame)
        await writer.drain()
        payload = await frames.read_frame(reader, HELLO_BYTES_MAX)
    except frames.FrameError as error:
        raise HandshakeRefused(CloseReason.HELLO_INVALID, str(error)) from None
    except OSError as error:  # includes ssl.SSLError: e.g. the peer refused our certificate
        raise HandshakeRefused(CloseReason.IO_ERROR, repr(error)) from None
    if payload is None:
        raise HandshakeRefused(CloseReason.PEER_CLOSED, "closed before sending Hello")
    try:
        return _hello_decoder.decode(payload)
    except msgspec.DecodeError as error:  # ValidationError is a DecodeError
        raise HandshakeRefused(CloseReason.HELLO_INVALID, str(error)) from None


def verify_hello(ours: Hello, theirs: Hello, peer_id: bytes) -> None:
    """The rest of check 4: same protocol, chain and network; the Hello key is the cert key."""
    if theirs.protocol_version != ours.protocol_version:
        raise HandshakeRefused(
            CloseReason.PROTOCOL_VERSION_MISMATCH,
            f"ours={ours.protocol_version} theirs={theirs.protocol_version}",
            peer_id,
        )
    if theirs.chain_id != ours.chain_id:
        raise HandshakeRefused(
            CloseReason.CHAIN_ID_MISMATCH,
            f"ours={ours.chain_id!r} theirs={theirs.chain_id!r}",
            peer_id,
        )
    if theirs.network_id != ours.network_id:
        raise HandshakeRefused(
            CloseReason.NETWORK_ID_MISMATCH,
            f"ours={short_hex(ours.network_id)} theirs={short_hex(theirs.network_id)}",
            peer_id,
        )
    if theirs.public_key != peer_id:
        raise HandshakeRefused(
            CloseReason.HELLO_KEY_MISMATCH,
            f"certificate key={peer_id.hex()} hello key={theirs.public_key.hex()}",
            peer_id,
        )
