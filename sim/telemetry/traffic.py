"""Request traffic over an app's call graph at one moment, the one source that request
metrics and traces are both drawn from, so they cannot disagree.

The load generator's requests enter at the app's entry services and flow down the call graph
each instance declares (`Program.telemetry`). Whether a call succeeds is what the caller's
program *observed* at that moment (refused, timed out, failing upstream), so telemetry tells
the same story as the logs; latency adds each service's own time, CPU throttling, Chaos Mesh
delays on the edge, and the callee's latency. Calls in one operation run in order, and the
first failure ends the request, as in the services' code.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sim.kube.resources import resource_for_kind
from sim.telemetry.history import Container, containers
from sim.world.scheduling import parse_cpu
from sim.world.software.base import Observation, Program, RunContext, Telemetry

if TYPE_CHECKING:
    from sim.world.runtime import World

Obj = dict[str, Any]
ENDPOINTS = resource_for_kind("Endpoints")
PODS = resource_for_kind("Pod")
NODES = resource_for_kind("Node")
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
    if head in ("refused", "no-instances", "dns", "unreachable") or "unavailable" in lowered:
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


@dataclass
class Snapshot:
    namespace: str
    at: datetime
    instances: list[Instance]
    rates: dict[tuple[int, str], float] = field(default_factory=dict)  # (instance, op) -> rps
    results: dict[tuple[int, str], Result] = field(default_factory=dict)

    def of(self, service: str) -> list[int]:
        return [i for i, inst in enumerate(self.instances) if inst.service == service]

    def receivers(self, service: str) -> list[int]:
        """The instances a Service load-balances to: ready ones (kube-proxy's endpoints)."""
        return [i for i in self.of(service) if self.instances[i].ready]

    def mean_latency(self, service: str) -> float:
        values = [
            r.latency_ms
            for (i, _), r in self.results.items()
            if self.instances[i].service == service
        ]
        return sum(values) / len(values) if values else PEER_MS

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


class TrafficModel:
    """Snapshots of each app's traffic, cached per moment (the past never changes)."""

    def __init__(self, world: World, entries: dict[str, dict[str, float]]) -> None:
        self.world = world
        self.entries = entries  # namespace -> {entry service: requests per second}
        self._cache: dict[tuple[str, datetime], Snapshot] = {}

    def snapshot(self, namespace: str, at: datetime) -> Snapshot:
        key = (namespace, at)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        snap = self._build(namespace, at)
        if at < self.world.now:
            if len(self._cache) > 20000:
                self._cache.clear()
            self._cache[key] = snap
        return snap

    def _build(self, namespace: str, at: datetime) -> Snapshot:
        instances = []
        demand: dict[str, float] = defaultdict(float)  # node -> millicores wanted
        mine = []
        for c in containers(self.world):
            found = c.context(at)
            if found is None:
                continue
            demand[c.pod_run.node] += found[0].usage(found[1], found[2])[0]
            if c.pod["metadata"]["namespace"] == namespace:
                mine.append((c, *found))
        for c, program, ctx, seen in mine:
            telemetry = program.telemetry(ctx, seen)
            if telemetry is None:
                continue
            slowdown = _slowdown(c, program, ctx, seen) * self._contention(
                c.pod_run.node, demand[c.pod_run.node]
            )
            instances.append(Instance(c, telemetry, seen, c.ready(at), slowdown))
        snap = Snapshot(namespace, at, instances)
        order = _topological([inst.telemetry for inst in instances])
        self._flow(snap, order)
        for service in reversed(order):
            for index in snap.of(service):
                for op in snap.instances[index].telemetry.operations:
                    snap.results[(index, op)] = self._result(snap, index, op)
        return snap

    def _contention(self, node: str, millicores: float) -> float:
        """Run-queue delay on a node whose CPUs are nearly all wanted: every request on it
        waits for a core, whatever its own quota (the noisy-neighbour effect)."""
        found = self.world.store.peek(NODES, None, node)
        capacity = parse_cpu(((found or {}).get("status") or {}).get("capacity", {}).get("cpu"))
        if not capacity:
            return 1.0
        return 1.0 + max(millicores / capacity - 0.85, 0.0) * 20

    def _flow(self, snap: Snapshot, order: list[str]) -> None:
        incoming: dict[str, float] = defaultdict(float)
        for service, rps in self.entries.get(snap.namespace, {}).items():
            incoming[service] += rps
        for service in order:
            receivers = snap.receivers(service)
            if not receivers or incoming[service] <= 0:
                continue
            share = incoming[service] / len(receivers)
            for index in receivers:
                ops = list(snap.instances[index].telemetry.operations)
                for op in ops:
                    rate = share / len(ops)
                    snap.rates[(index, op)] = rate
                    pod = snap.instances[index].pod
                    for _key, callee, kind in snap.calls(index, op):
                        # The callee got the request unless the connection never reached it
                        # (a delayed packet does arrive, after the caller gave up).
                        if kind in ("ok", "error") or (
                            kind == "timeout" and self.edge_delay(snap, pod, callee) > 0
                        ):
                            incoming[callee] += rate

    def _result(self, snap: Snapshot, index: int, op: str) -> Result:
        inst = snap.instances[index]
        telemetry = inst.telemetry
        latency = inst.own_ms
        for key, callee, kind in snap.calls(index, op):
            if kind == "timeout":
                latency += TIMEOUT_MS
            elif kind == "unavailable":
                latency += 1.0
            else:
                latency += self.edge_delay(snap, inst.pod, callee) + snap.mean_latency(callee)
            if kind != "ok":
                return Result(kind, code_for(telemetry.protocol, kind), latency, key)
        if telemetry.failing:
            return Result("internal", code_for(telemetry.protocol, "internal"), latency)
        return Result("ok", code_for(telemetry.protocol, "ok"), latency)

    def edge_delay(self, snap: Snapshot, source: Obj, callee: str) -> float:
        """Chaos Mesh delay between `source` and the pods serving `callee` (their mean)."""
        targets = [snap.instances[i].pod for i in snap.receivers(callee)]
        if not targets:
            targets = self._peer_pods(snap.namespace, callee)
        if not targets:
            return 0.0
        effects = [self.world.network_effect(source, pod, snap.at) for pod in targets]
        return sum(e.delay_ms + e.loss * 200 for e in effects) / len(effects)

    def _peer_pods(self, namespace: str, service: str) -> list[Obj]:
        endpoints = self.world.store.peek(ENDPOINTS, namespace, service) or {}
        pods = []
        for subset in endpoints.get("subsets") or []:
            for address in subset.get("addresses") or []:
                name = (address.get("targetRef") or {}).get("name", "")
                pod = self.world.store.peek(PODS, namespace, name)
                if pod is not None:
                    pods.append(pod)
        return pods


def _slowdown(c: Container, program: Program, ctx: RunContext, seen: Observation) -> float:
    """Requests queue behind a CPU quota the service needs more than: latency grows with
    demand over the limit, as it does under CFS throttling."""
    limit = parse_cpu(((c.spec.get("resources") or {}).get("limits") or {}).get("cpu"))
    if not limit:
        return 1.0
    ratio = program.usage(ctx, seen)[0] / limit
    return 1.0 + max(ratio - 0.7, 0.0) * 10


def _topological(telemetries: list[Telemetry]) -> list[str]:
    """Services callers first (the call graphs are acyclic); unknown callees are peers."""
    graph: dict[str, set[str]] = defaultdict(set)
    for t in telemetries:
        graph[t.service] |= set(t.callees.values())
    services = set(graph)
    indegree = {s: 0 for s in services}
    for callees in graph.values():
        for callee in callees & services:
            indegree[callee] += 1
    ready = sorted(s for s, n in indegree.items() if n == 0)
    order: list[str] = []
    while ready:
        service = ready.pop(0)
        order.append(service)
        for callee in sorted(graph[service] & services):
            indegree[callee] -= 1
            if indegree[callee] == 0:
                ready.append(callee)
    return order + sorted(services - set(order))
