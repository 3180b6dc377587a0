"""The network of a chaos run when netem is not available: one forwarding proxy per link.

Node i reaches node j only through the proxy of the directed pair (i, j): node i's config lists
`proxy_port(i, j)` as the address of j, and the proxy forwards to j's real p2p port. TLS runs end
to end through it (the proxy sees ciphertext only), so it can delay, hold or cut bytes but never
forge them, as a real network. Every byte is judged by the policy of its direction: the bytes of
a connection i dialed to j go by `links[i, j]` towards j, and by `links[j, i]` back.

What a policy does, and how that maps to a real network (TCP under the TLS):

    blocked        the bytes are held, not dropped: the proxy stops reading, the kernel's
                   buffers fill and the sender's TCP window closes, as through a real outage
                   (TCP retransmits; nothing of the stream is lost). New connections across a
                   blocked link are accepted and then left silent (a SYN into a black hole), so
                   the dialer's handshake times out. The node's ping liveness closes a
                   connection that stays silent too long.
    delay_ms       every chunk waits this long (+ up to jitter_ms, order kept).
    loss_percent   a lost TCP segment is retransmitted after an RTO: with this probability a
                   chunk (and, order kept, what follows it) waits LOSS_RTO_MS more.

Rules kept: a proxy never reorders nor alters bytes; every buffer is bounded; `stop()` closes
every socket it opened; the random source is seeded (one per link), so the choice of delayed
chunks replays, though the kernel's scheduling of the chunks does not.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

HOST = "127.0.0.1"
CHUNKS_IN_FLIGHT_MAX = 256
"""Chunks one direction holds while they wait out their delay (then the proxy stops reading)."""
LOSS_RTO_MS = 200
"""Linux's minimum TCP retransmission timeout: what one lost segment costs the stream."""
READ_BYTES_MAX = 64 * 1024
CONNECT_TIMEOUT_S = 2.0
BLOCKED_POLL_S = 0.05


@dataclass
class LinkPolicy:
    """What the network does to the bytes going one way between two nodes."""

    blocked: bool = False
    delay_ms: int = 0
    jitter_ms: int = 0
    loss_percent: float = 0.0

    def is_clean(self) -> bool:
        return not self.blocked and self.delay_ms == 0 and self.loss_percent == 0


@dataclass
class _Link:
    source: int
    target: int
    listen_port: int
    target_port: int
    policy: LinkPolicy = field(default_factory=LinkPolicy)
    rng: random.Random = field(default_factory=random.Random)
    writers: set[asyncio.StreamWriter] = field(default_factory=set)
    server: asyncio.Server | None = None


class ProxyNetwork:
    """All links of a testnet, served by one asyncio loop in a background thread.

    Controlled from the caller's thread: `set_policy`, `heal`, `partition`, `isolate`; each takes
    effect on bytes read after it returns.
    """

    def __init__(self, node_ports: list[int], port_of_link: Callable[[int, int], int], seed: int):
        self.node_ports = node_ports
        self.links: dict[tuple[int, int], _Link] = {}
        for i in range(len(node_ports)):
            for j in range(len(node_ports)):
                if i != j:
                    self.links[i, j] = _Link(
                        i,
                        j,
                        port_of_link(i, j),
                        node_ports[j],
                        rng=random.Random(f"{seed}/{i}->{j}"),
                    )
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._tasks: set[asyncio.Task[None]] = set()
        self.bytes_forwarded = 0

    # ------------------------------------------------------------------ control

    def start(self) -> None:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start_servers(), self._loop).result(10)

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(self._stop_servers(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def set_policy(self, source: int, target: int, policy: LinkPolicy) -> None:
        self.links[source, target].policy = policy

    def heal(self) -> None:
        for link in self.links.values():
            link.policy = LinkPolicy()

    def partition(self, *groups: list[int]) -> None:
        """Only nodes of the same group reach each other (both directions)."""
        group_of = {node: index for index, group in enumerate(groups) for node in group}
        for (i, j), link in self.links.items():
            link.policy = LinkPolicy(blocked=group_of.get(i, -1) != group_of.get(j, -2))

    def block_one_way(self, source: int, target: int) -> None:
        self.links[source, target].policy = LinkPolicy(blocked=True)

    def degrade_all(self, delay_ms: int, jitter_ms: int, loss_percent: float) -> None:
        for link in self.links.values():
            link.policy = LinkPolicy(
                delay_ms=delay_ms, jitter_ms=jitter_ms, loss_percent=loss_percent
            )

    def describe(self) -> str:
        faulty = [
            f"{i}->{j}: {link.policy}"
            for (i, j), link in sorted(self.links.items())
            if not link.policy.is_clean()
        ]
        return "; ".join(faulty) or "clean"

    # ------------------------------------------------------------------ serving

    async def _start_servers(self) -> None:
        for link in self.links.values():
            link.server = await asyncio.start_server(
                lambda r, w, link=link: self._spawn(self._serve(link, r, w)),
                HOST,
                link.listen_port,
                reuse_address=True,
            )

    async def _stop_servers(self) -> None:
        for link in self.links.values():
            if link.server is not None:
                link.server.close()
            for writer in list(link.writers):
                writer.transport.abort()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _spawn(self, coroutine: object) -> None:
        task = self._loop.create_task(coroutine)  # type: ignore[arg-type]
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _serve(
        self, link: _Link, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        """One connection node `source` opened towards node `target`."""
        link.writers.add(writer)
        upstream: asyncio.StreamWriter | None = None
        try:
            while link.policy.blocked:  # a SYN into a black hole: the dialer times out
                await asyncio.sleep(BLOCKED_POLL_S)
            up_reader, upstream = await asyncio.wait_for(
                asyncio.open_connection(HOST, link.target_port), CONNECT_TIMEOUT_S
            )
            link.writers.add(upstream)
            back = self.links[link.target, link.source]
            await asyncio.gather(
                self._pump(link, reader, upstream), self._pump(back, up_reader, writer)
            )
        except (OSError, TimeoutError, ConnectionError):
            pass
        finally:
            for w in (writer, upstream):
                if w is not None:
                    link.writers.discard(w)
                    w.transport.abort()

    async def _pump(
        self, link: _Link, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        """Forward one direction under `link`'s policy, order kept; ends both on EOF or error.

        A reader stamps each chunk with when it is due and a writer sends it then, so a delay
        adds latency without cutting throughput (the queue holds the chunks in flight).
        """
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue(CHUNKS_IN_FLIGHT_MAX)
        sender = self._loop.create_task(self._send_due(queue, writer))
        due_ms = 0.0
        try:
            while True:
                chunk = await reader.read(READ_BYTES_MAX)
                if not chunk:
                    break
                while link.policy.blocked:
                    await asyncio.sleep(BLOCKED_POLL_S)
                policy = link.policy
                now_ms = time.monotonic() * 1000
                extra_ms = policy.delay_ms + link.rng.uniform(0, policy.jitter_ms)
                if policy.loss_percent and link.rng.random() * 100 < policy.loss_percent:
                    extra_ms += LOSS_RTO_MS
                due_ms = max(due_ms, now_ms + extra_ms)
                await queue.put((due_ms, chunk))
            await queue.put((0.0, b""))
            await sender
        except (OSError, ConnectionError):
            pass
        finally:
            sender.cancel()
            writer.transport.abort()

    async def _send_due(
        self, queue: asyncio.Queue[tuple[float, bytes]], writer: asyncio.StreamWriter
    ) -> None:
        with contextlib.suppress(OSError, ConnectionError):
            while True:
                due_ms, chunk = await queue.get()
                if not chunk:
                    return
                wait_ms = due_ms - time.monotonic() * 1000
                if wait_ms > 0:
                    await asyncio.sleep(wait_ms / 1000)
                writer.write(chunk)
                await writer.drain()
                self.bytes_forwarded += len(chunk)


__all__ = ["LOSS_RTO_MS", "LinkPolicy", "ProxyNetwork"]
