"""Machines on one Linux host: each "host" a network namespace with an address of its own on a
private /24, joined to the root namespace by a veth pair on a bridge there (whose address is the
hosts' gateway, and where the tests' own HTTP target listens). Each host also has a hostname of
its own (a UTS namespace), so a worker cannot tell another's death from its PID: only its lease
says. Needs root and `ip` (iproute2)."""

import os
import random
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

PYTHON_CLI = [sys.executable, "-m", "testament.cli.main"]
API_PORT = 8080


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True, timeout=30)


@dataclass
class Host:
    name: str  # the namespace's name, also its hostname
    address: str
    link: str  # the veth end in the root namespace: down, this host is cut off
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self, command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
        """`command` inside this host: its network namespace, its hostname."""
        inside = ["unshare", "--uts", "sh", "-c", 'hostname "$0" && exec "$@"', self.name, *command]
        with log.open("ab") as out:
            process = subprocess.Popen(
                ["ip", "netns", "exec", self.name, *inside],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=out,
                start_new_session=True,
            )
        self.processes.append(process)
        return process

    def kill_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)

    def cut(self) -> None:
        ip("link", "set", self.link, "down")

    def mend(self) -> None:
        ip("link", "set", self.link, "up")


class Network:
    """A bridge and namespaces with a random suffix (parallel runs do not collide); `close()`
    kills their processes and removes them all, whatever state a failed test left."""

    def __init__(self, names: list[str]) -> None:
        self.suffix = secrets.token_hex(3)
        self.subnet = random.randint(10, 250)
        self.gateway = f"10.77.{self.subnet}.1"
        self.bridge = f"tb-{self.suffix}"
        self.hosts: dict[str, Host] = {}
        try:
            ip("link", "add", self.bridge, "type", "bridge")
            ip("addr", "add", f"{self.gateway}/24", "dev", self.bridge)
            ip("link", "set", self.bridge, "up")
            for number, name in enumerate(names, start=10):
                self._add_host(name, number)
        except BaseException:
            self.close()
            raise

    def _add_host(self, name: str, number: int) -> None:
        namespace, address = f"{name}-{self.suffix}", f"10.77.{self.subnet}.{number}"
        outside, inside = f"tv{number}-{self.suffix}", f"tn{number}-{self.suffix}"
        self.hosts[name] = Host(namespace, address, outside)  # close() removes it from here on
        ip("netns", "add", namespace)
        ip("link", "add", outside, "type", "veth", "peer", "name", inside)
        ip("link", "set", outside, "master", self.bridge, "up")
        ip("link", "set", inside, "netns", namespace)
        ip("-n", namespace, "addr", "add", f"{address}/24", "dev", inside)
        ip("-n", namespace, "link", "set", inside, "up")
        ip("-n", namespace, "link", "set", "lo", "up")
        ip("-n", namespace, "route", "add", "default", "via", self.gateway)

    def close(self) -> None:
        for host in list(self.hosts.values()):
            host.kill_all()
            # one end of a veth pair removes both at once; a namespace's removal takes its end later
            subprocess.run(["ip", "link", "del", host.link], capture_output=True, timeout=30)
            subprocess.run(["ip", "netns", "del", host.name], capture_output=True, timeout=30)
        subprocess.run(["ip", "link", "del", self.bridge], capture_output=True, timeout=30)


def wait_http(url: str, process: subprocess.Popen[bytes], timeout_s: float = 40) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server for {url} exited at start")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} did not answer within {timeout_s} s")
