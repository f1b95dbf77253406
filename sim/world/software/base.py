"""What runs in a container: the Program interface and the context it sees the world through.

A Program never reads scenario labels or fault lists: it reads its own configuration (args,
env, mounted files) and talks to its dependencies over the emulated network, so a fault shows
only through the same causes and symptoms it would have in a real cluster.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sim.world.lifecycle import Attempt, Fate, LogLine

if TYPE_CHECKING:
    from sim.world.network import Connection
    from sim.world.runtime import World

Obj = dict[str, Any]
Observation = Mapping[str, str]


@dataclass
class RunContext:
    """One container of one pod, at one moment, as its program sees things."""

    world: World
    pod: Obj
    container: Obj
    at: datetime
    attempt: Attempt | None = None
    restart: int = 0

    @property
    def namespace(self) -> str:
        return str(self.pod["metadata"]["namespace"])

    @property
    def pod_name(self) -> str:
        return str(self.pod["metadata"]["name"])

    @property
    def pod_ip(self) -> str:
        return str((self.pod.get("status") or {}).get("podIP") or "")

    def env(self, name: str) -> str | None:
        """An environment variable, with `$(VAR)` references expanded as the kubelet does."""
        return self.world.mounts.env(self.pod, self.container).get(name)

    def file(self, path: str) -> str | None:
        """A file mounted from a ConfigMap or Secret volume, or None if nothing is there."""
        return self.world.mounts.file(self.pod, self.container, path)

    def connect(self, host: str, port: int) -> Connection:
        return self.world.connect(self.pod, host, port, self.at)

    def seed(self, *parts: object) -> int:
        """A stable number for this container instance, for deterministic jitter."""
        return self.world.stable_hash(
            self.pod["metadata"]["uid"], self.container["name"], self.restart, *parts
        )


def split_address(address: str, default_port: int) -> tuple[str, int]:
    """`host:port` -> (host, port); a bare host gets the default port."""
    match = re.match(r"^\[?([^\]]+?)\]?(?::(\d+))?$", address.strip())
    if not match:
        return address, default_port
    return match.group(1), int(match.group(2) or default_port)


def ticks(
    ctx: RunContext, key: str, since: datetime, until: datetime, every: float
) -> list[datetime]:
    """Moments in [since, until) about `every` seconds apart, jittered but reproducible:
    when a program under steady traffic handles a request, or its periodic chatter."""
    out: list[datetime] = []
    if every <= 0:
        return out
    t = since + timedelta(seconds=every * (ctx.seed(key, since) % 1000) / 1000)
    n = 0
    while t < until:
        out.append(t)
        n += 1
        t += timedelta(seconds=every * (0.5 + (ctx.seed(key, n) % 1000) / 1000))
    return out


def spans(
    timeline: list[tuple[datetime, Observation]], start: datetime, end: datetime
) -> Iterator[tuple[datetime, datetime, Observation]]:
    """Each observation with the part of [start, end] during which it held."""
    for i, (since, seen) in enumerate(timeline):
        until = timeline[i + 1][0] if i + 1 < len(timeline) else end
        if until > start and since < end:
            yield max(since, start), min(until, end), seen


@dataclass(frozen=True)
class Telemetry:
    """How a program shows up in request metrics and traces: the service name its
    OpenTelemetry SDK reports, the protocol it serves, its operations (each with the
    observation keys of the calls one request makes), and who each call reaches."""

    service: str
    protocol: str  # "http" | "grpc" | "thrift"
    operations: Mapping[str, tuple[str, ...]]
    callees: Mapping[str, str]  # observation key -> the called service (or peer) name
    self_ms: float = 3.0  # time spent in the service itself per request
    extra_ms: float = 0.0  # added by whatever the program is going through (a flag, GC)
    failing: bool = False  # the service answers errors of its own
    cpu_ms_per_request: float = 0.0  # CPU time one request costs (load drives CPU usage)


class Program(ABC):
    """Software in a container. Subclasses model one piece of software faithfully enough
    that its failures look like the real ones in status, events and logs."""

    ports: tuple[int, ...] = ()
    memory_mib: int = 16
    cpu_millicores: int = 2

    @abstractmethod
    def start(self, ctx: RunContext) -> Fate:
        """Decide what this start of the container does, from the world at `ctx.at`."""

    def serving(self, ctx: RunContext) -> set[int]:
        """The TCP ports accepting connections at `ctx.at` (the process may still be busy)."""
        return set(self.ports)

    def poll(self, ctx: RunContext) -> Fate | None:
        """For a running container: a new Fate if something makes it exit now."""
        return None

    def observe(self, ctx: RunContext) -> Observation:
        """Conditions worth logging while running (e.g. a dependency refusing connections)."""
        return {}

    def runtime_log(
        self,
        ctx: RunContext,
        start: datetime,
        end: datetime,
        timeline: list[tuple[datetime, Observation]],
    ) -> list[tuple[datetime, str]]:
        """Lines written between `start` and `end`, given what `observe` saw when."""
        return []

    def usage(self, ctx: RunContext, seen: Observation) -> tuple[int, int]:
        """(CPU millicores it wants, memory MiB) at `ctx.at`, given what it observed then
        (usage in the past is computed from the recorded observations, never live state)."""
        return self.cpu_millicores, self.memory_mib

    def telemetry(self, ctx: RunContext, seen: Observation) -> Telemetry | None:
        """Its identity in request metrics and traces; None for software that is not
        instrumented (databases, caches, init containers)."""
        return None


__all__ = [
    "Attempt",
    "Fate",
    "LogLine",
    "Observation",
    "Program",
    "RunContext",
    "Telemetry",
    "split_address",
]
