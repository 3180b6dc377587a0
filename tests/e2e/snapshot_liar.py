"""A peer that lies about a snapshot, over the real p2p transport (mutual TLS, real frames).

It holds a node home of the testnet (a CA-issued certificate: the network admits it), and
offers a snapshot of height C that is consistent with itself: an offer naming the hashes of
its chunks, the real proof of C taken from a validator's book (valid from genesis), and chunks
of a state with one value changed. Only the final check, the state's root against the proven
app hash, can tell: a node that state-syncs from it must refuse it and write nothing.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from chainbook import codec, limits
from chainbook.core.snapshot_proof import build_snapshot_proof
from chainbook.core.snapshots import SnapshotOffer, assemble_state, decode_chunk, make_snapshot
from chainbook.core.wire import (
    ChunkRequest,
    ChunkResponse,
    SnapshotProofRequest,
    SnapshotProofResponse,
    SnapshotsRequest,
    SnapshotsResponse,
    decode_message,
    encode_message,
)
from chainbook.p2p import Transport, TransportConfig
from chainbook.runtime.home import Home
from chainbook.storage import SqliteBlockStore

START_TIMEOUT_S = 10.0


class SnapshotLiar:
    """Serves a forged snapshot of the newest snapshot height of `honest_home`."""

    def __init__(self, own_home: Path, honest_home: Path) -> None:
        self.home = Home(own_home)
        honest = Home(honest_home)
        folder = honest.data_dir / "snapshots"  # read only: the node writes beside us
        found = [codec.decode((d / "offer.bin").read_bytes(), SnapshotOffer) for d in
                 folder.glob("[0-9]*")]  # fmt: skip
        offers = sorted(found, key=lambda o: -o.height)
        book = SqliteBlockStore(honest.book_path, read_only=True)
        try:
            # The newest snapshot whose proof the book holds (header C + 1 committed).
            proofs = [(o, build_snapshot_proof(book, [], o.height)) for o in offers]
        finally:
            book.close()
        offer, proof = next((o, p) for o, p in proofs if p is not None)
        chunks = [
            (folder / str(offer.height) / f"{i}.chunk").read_bytes()
            for i in range(len(offer.chunk_hashes))
        ]
        kv = assemble_state(offer, [decode_chunk(c or b"", i) for i, c in enumerate(chunks)])
        key = max(kv)
        kv[key] = bytes([kv[key][0] ^ 1]) + kv[key][1:]
        self.offer, self.chunks = make_snapshot(kv, offer.height)
        self.proof = proof
        self.served: list[str] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._transport: Transport | None = None

    @property
    def height(self) -> int:
        return self.offer.height

    def start(self) -> None:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(START_TIMEOUT_S)

    def stop(self) -> None:
        if self._transport is not None:
            stopping = asyncio.run_coroutine_threadsafe(self._transport.stop(), self._loop)
            stopping.result(START_TIMEOUT_S)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(START_TIMEOUT_S)

    async def _start(self) -> None:
        config = self.home.load_config()
        genesis = self.home.load_genesis()
        ca_pem, cert_pem = self.home.load_tls()
        self._transport = Transport(
            TransportConfig(
                node_seed=self.home.load_key().seed,
                ca_cert_pem=ca_pem,
                node_cert_pem=cert_pem,
                chain_id=genesis.chain_id,
                frame_bytes_max=limits.frame_bytes_max,
                peers_max=limits.peers_max,
                peer_send_queue_max=limits.peer_send_queue_max,
                listen_host=config.p2p_host,
                listen_port=config.p2p_port,
                network_id=genesis.hash,
            ),
            on_message=self._on_message,
            on_peer_disconnected=lambda peer: None,
            on_peer_connected=lambda peer: None,
        )
        await self._transport.start()

    def _on_message(self, peer: bytes, payload: bytes) -> None:
        assert self._transport is not None
        message = decode_message(payload)
        match message:
            case SnapshotsRequest():
                answer: object = SnapshotsResponse(offers=[self.offer])
            case SnapshotProofRequest(height=height) if height == self.height:
                answer = SnapshotProofResponse(proof=self.proof)
            case ChunkRequest(height=height, index=index) if height == self.height:
                answer = ChunkResponse(height, index, self.chunks[index])
            case _:
                return
        self.served.append(type(message).__name__)
        self._transport.send(peer, encode_message(answer))  # type: ignore[arg-type]


__all__ = ["SnapshotLiar"]
