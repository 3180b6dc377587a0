"""Separate hosts for the runbook test: each in its own network namespace with its own address.

    with separate_hosts(6) as hosts:        # Host(name, ip, netns or None)
        hosts[0].popen([...])               # a process that sees only that host's network

Rules kept:
- Network namespaces (`ip netns`, a veth pair per host on one bridge, a /24 of 10.0.0.0/8 no
  route of this machine uses): every host has its own address and its own ports, like the
  machines of separate organisations; the test process reaches them through the bridge.
- Everything made is removed on exit, even after a failure (namespaces, veths, the bridge),
  and every process started in a host is stopped first. Names carry this process's id, so
  two runs on one machine do not meet.
- Where namespaces cannot be made (not root, no iproute2, a container without the right) or
  hosts cannot reach each other through the bridge (a firewall on bridged traffic), the hosts
  are distinct loopback addresses (127.0.0.2, 127.0.0.3, ...) instead, and `reason` says why;
  the ports are then chosen free, since they share one port space.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field

COMMAND_TIMEOUT_S = 10
PROBE_TIMEOUT_S = 5


@dataclass
class Host:
    name: str
    ip: str
    netns: str | None
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def popen(self, argv: list[str], **kwargs: object) -> subprocess.Popen[bytes]:
        """Start `argv` on this host (inside its namespace, when it has one)."""
        prefix = ["ip", "netns", "exec", self.netns] if self.netns else []
        process = subprocess.Popen([*prefix, *argv], **kwargs)  # type: ignore[call-overload]
        self.processes.append(process)
        return process  # type: ignore[no-any-return]


@dataclass
class Hosts:
    hosts: list[Host]
    isolated: bool
    """True: network namespaces; False: loopback addresses (see `reason`)."""
    reason: str = ""

    def __getitem__(self, index: int) -> Host:
        return self.hosts[index]


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=COMMAND_TIMEOUT_S)


def _free_subnet() -> ipaddress.IPv4Network:
    routes = subprocess.run(
        ["ip", "-4", "route", "show"], check=True, capture_output=True, text=True
    ).stdout
    used = []
    for line in routes.splitlines():
        word = line.split()[0]
        with contextlib.suppress(ValueError):
            used.append(ipaddress.ip_network(word if word != "default" else "0.0.0.0/32"))
    for third in range(os.getpid() % 200, 256):
        candidate = ipaddress.ip_network(f"10.213.{third}.0/24")
        if not any(candidate.overlaps(u) for u in used if u.prefixlen > 0):
            return candidate
    raise RuntimeError("no free /24 in 10.213.0.0/16")


def _probe(a: Host, b: Host) -> bool:
    """Whether a TCP connection from host a reaches a listener on host b."""
    port = 26599
    server = b.popen(
        [sys.executable, "-c",
         "import socket,sys\n"
         f"s=socket.create_server(({b.ip!r},{port}))\n"
         "print('ready',flush=True)\n"
         "c,_=s.accept()\n"
         "c.sendall(b'ok')\n"],
        stdout=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        if server.stdout.readline().strip() != b"ready":
            return False
        client = a.popen(
            [sys.executable, "-c",
             "import socket\n"
             f"c=socket.create_connection(({b.ip!r},{port}),timeout={PROBE_TIMEOUT_S})\n"
             "assert c.recv(2)==b'ok'\n"],
        )  # fmt: skip
        return client.wait(timeout=PROBE_TIMEOUT_S + 5) == 0
    except (subprocess.TimeoutExpired, OSError):
        return False
    finally:
        server.kill()
        server.wait()
        a.processes.clear()
        b.processes.clear()


def _stop(hosts: list[Host]) -> None:
    for host in hosts:
        for process in host.processes:
            if process.poll() is None:
                process.terminate()
        for process in host.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextlib.contextmanager
def _namespaces(count: int) -> Iterator[list[Host]]:
    tag = f"cb{os.getpid() % 0xFFFF:04x}"
    subnet = _free_subnet()
    addresses = list(subnet.hosts())
    bridge = f"{tag}br"
    made: list[str] = []
    hosts: list[Host] = []
    try:
        _ip("link", "add", bridge, "type", "bridge")
        _ip("addr", "add", f"{addresses[0]}/24", "dev", bridge)
        _ip("link", "set", bridge, "up")
        for i in range(count):
            netns, outside, inside = f"{tag}h{i}", f"{tag}v{i}", f"{tag}p{i}"
            _ip("netns", "add", netns)
            made.append(netns)
            _ip("link", "add", outside, "type", "veth", "peer", "name", inside)
            _ip("link", "set", outside, "master", bridge)
            _ip("link", "set", outside, "up")
            _ip("link", "set", inside, "netns", netns)
            ip = str(addresses[10 + i])
            _ip("-n", netns, "addr", "add", f"{ip}/24", "dev", inside)
            _ip("-n", netns, "link", "set", inside, "up")
            _ip("-n", netns, "link", "set", "lo", "up")
            hosts.append(Host(f"host{i}", ip, netns))
        yield hosts
    finally:
        _stop(hosts)
        for netns in made:  # removing a namespace removes its veth and the peer outside
            subprocess.run(["ip", "netns", "del", netns], capture_output=True, check=False)
        subprocess.run(["ip", "link", "del", bridge], capture_output=True, check=False)


NO_NETNS_ENV = "CHAINBOOK_TEST_NO_NETNS"
"""Set to run on loopback addresses even where namespaces could be made (to try that path)."""


def _namespaces_unavailable() -> str:
    if os.environ.get(NO_NETNS_ENV):
        return f"{NO_NETNS_ENV} is set"
    if sys.platform != "linux":
        return f"network namespaces are Linux only (this is {sys.platform})"
    if shutil.which("ip") is None:
        return "iproute2's `ip` is not installed"
    if os.geteuid() != 0:
        return "creating network namespaces needs root"
    return ""


@contextlib.contextmanager
def separate_hosts(count: int) -> Iterator[Hosts]:
    reason = _namespaces_unavailable()
    with contextlib.ExitStack() as stack:
        hosts: list[Host] | None = None
        if not reason:
            try:
                hosts = stack.enter_context(_namespaces(count))
                if not _probe(hosts[0], hosts[1]):
                    reason = "hosts in network namespaces could not reach each other over a bridge"
            except (subprocess.CalledProcessError, subprocess.TimeoutExpired, RuntimeError) as exc:
                stderr = getattr(exc, "stderr", b"") or b""
                reason = f"network namespaces could not be made: {exc} {stderr.decode().strip()}"
            if reason:
                stack.close()  # remove what was made before falling back
        if not reason:
            assert hosts is not None
            yield Hosts(hosts, isolated=True)
            return
        loopback = [Host(f"host{i}", f"127.0.0.{2 + i}", None) for i in range(count)]
        stack.callback(_stop, loopback)
        yield Hosts(loopback, isolated=False, reason=reason)


def free_port(ip: str) -> int:
    with socket.socket() as probe:
        probe.bind((ip, 0))
        return int(probe.getsockname()[1])


__all__ = ["Host", "Hosts", "free_port", "separate_hosts"]
