"""One moment of an app's request traffic: the serving instances, the request rate each
operation receives, and what those requests get (a mix of outcomes, since one of several
replicas can fail while the others serve)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sim.telemetry.history import Container
from sim.world.software.base import Observation, Telemetry

Obj = dict[str, Any]

TIMEOUT_MS = 5000.0  # the clients' call deadline
PEER_MS = 1.5  # a database or cache answering
# Status codes per protocol, as OpenTelemetry's instrumentation records them.
CODES = {
    "http": {"ok": "200", "error": "500", "unavailable": "500", "timeout": "504"},
    "grpc": {"ok": "0", "error": "2", "unavailable": "14", "timeout": "4", "internal": "13"},
    "thrift": {
        "ok": "",
        "error": "TApplicationException",
        "unavailable": "TTransportException",
        "timeout": "TTransportException",
    },
}


def classify(status: str) -> str:
    """A caller's observed call status -> ok | unavailable | timeout | error."""
    if status in ("", "ok", "on"):
        return "ok"
    lowered = status.lower()
    if lowered.startswith("timeout") or "deadline" in lowered or "timed out" in lowered:
        return "timeout"
    head = lowered.split(":", 1)[0]
    if head in ("refused", "no-instances", "dns", "unreachable", "tls") or "unavailable" in lowered:
        return "unavailable"
    return "error"


def code_for(protocol: str, kind: str) -> str:
    codes = CODES.get(protocol, CODES["http"])
    return codes.get(kind, codes["error"])


@dataclass
class Instance:
    """One serving container of an instrumented service at the snapshot's moment."""

    container: Container
    telemetry: Telemetry
    seen: Observation
    ready: bool
    slowdown: float
    serving: bool = True  # the process accepts connections (else callers are refused)

    @property
    def pod(self) -> Obj:
        return self.container.pod

    @property
    def service(self) -> str:
        return self.telemetry.service

    @property
    def own_ms(self) -> float:
        """Time a request spends in the service itself. A throttled or starved container
        also waits out part of each 100 ms CFS period."""
        stall = (self.slowdown - 1) * 40
        return self.telemetry.self_ms * self.slowdown + stall + self.telemetry.extra_ms


@dataclass(frozen=True)
class Result:
    """What every request of one operation on one instance gets at this moment."""

    kind: str  # ok | unavailable | timeout | error | internal
    code: str
    latency_ms: float
    failed_call: str | None = None  # the observation key of the call that failed


Outcomes = list[tuple[float, Result]]  # (share of the requests, what they get)


@dataclass
class Snapshot:
    namespace: str
    at: datetime
    instances: list[Instance]
    rates: dict[tuple[int, str], float] = field(default_factory=dict)  # (instance, op) -> rps
    results: dict[tuple[int, str], Outcomes] = field(default_factory=dict)
    # Lookups built once per snapshot: every series of every window, and every span of every
    # trace drawn from it, asks them again. A pickled snapshot leaves them behind.
    _by_key: dict[str, int] = field(default_factory=dict, repr=False)
    _by_service: dict[str, list[int]] = field(default_factory=dict, repr=False)
    _ready: dict[str, list[int]] = field(default_factory=dict, repr=False)
    _answering: dict[tuple[str, bool], list[int]] = field(default_factory=dict, repr=False)

    def __getstate__(self) -> dict[str, Any]:
        lookups = ("_by_key", "_by_service", "_ready", "_answering")
        return {**self.__dict__, **{name: {} for name in lookups}}

    def index_of(self, container_key: str) -> int | None:
        """The instance of a container (`<pod uid>/<name>`)."""
        if not self._by_key:
            self._by_key = {inst.container.key: i for i, inst in enumerate(self.instances)}
        return self._by_key.get(container_key)

    def of(self, service: str) -> list[int]:
        """The instances of a service (a shared list: read it, do not change it)."""
        if not self._by_service:
            for i, inst in enumerate(self.instances):
                self._by_service.setdefault(inst.service, []).append(i)
        return self._by_service.get(service, [])

    def receivers(self, service: str) -> list[int]:
        """The instances a Service load-balances to: ready ones (kube-proxy's endpoints)."""
        if service not in self._ready:
            self._ready[service] = [i for i in self.of(service) if self.instances[i].ready]
        return self._ready[service]

    def answering(self, service: str, ok: bool) -> list[int]:
        """The serving receivers some of whose requests succeed (`ok`) or fail (not `ok`):
        where a trace's call that ended that way went. Asked once the results are in."""
        key = (service, ok)
        if key not in self._answering:
            self._answering[key] = [
                i
                for i in self.receivers(service)
                if self.instances[i].serving
                and any((r.kind == "ok") == ok for _, r in self.outcomes(i))
            ]
        return self._answering[key]

    def outcomes(self, index: int) -> Outcomes:
        """An instance's outcomes over all its operations (each an equal share)."""
        ops = list(self.instances[index].telemetry.operations)
        return [
            (share / len(ops), result)
            for op in ops
            for share, result in self.results.get((index, op), [])
        ]

    def mean_latency(self, service: str) -> float:
        weighted = [
            (share, result.latency_ms)
            for i in self.of(service)
            for share, result in self.outcomes(i)
        ]
        total = sum(share for share, _ in weighted)
        return sum(s * ms for s, ms in weighted) / total if total else PEER_MS

    def calls(self, index: int, op: str) -> list[tuple[str, str, str]]:
        """(observation key, callee, kind) of the calls one request of `op` makes, up to and
        including the first that fails."""
        inst = self.instances[index]
        out = []
        for key in inst.telemetry.operations.get(op, ()):
            kind = classify(str(inst.seen.get(key, "ok")))
            out.append((key, inst.telemetry.callees.get(key, key), kind))
            if kind != "ok":
                break
        return out
