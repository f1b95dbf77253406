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
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sim.kube.resources import resource_for_kind
from sim.telemetry.history import SCRAPE_SECONDS, Container, containers
from sim.telemetry.snapshot import (
    PEER_MS,
    TIMEOUT_MS,
    Instance,
    Outcomes,
    Result,
    Snapshot,
    code_for,
)
from sim.world.scheduling import parse_cpu
from sim.world.software.base import Observation, Program, RunContext, Telemetry

if TYPE_CHECKING:
    from sim.world.runtime import World

Obj = dict[str, Any]
ENDPOINTS = resource_for_kind("Endpoints")
PODS = resource_for_kind("Pod")
NODES = resource_for_kind("Node")
MAX_SLOWDOWN = 40.0


class TrafficModel:
    """Snapshots of each app's traffic, cached per moment: for good once it is past (the
    past never changes), and at the present until the world's state moves (every
    container's CPU at this instant asks for the same snapshot)."""

    def __init__(self, world: World, entries: dict[str, dict[str, float]]) -> None:
        self.world = world
        self.entries = entries  # namespace -> {entry service: requests per second}
        self._cache: dict[tuple[str, datetime], Snapshot] = {}
        self._present: dict[str, tuple[tuple[datetime, int, int], Snapshot]] = {}
        self.surges: dict[str, list[tuple[datetime, float]]] = {}

    def snapshot(self, namespace: str, at: datetime) -> Snapshot:
        key = (namespace, at)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        state = self.world.state
        present = self._present.get(namespace)
        if at == self.world.now and present is not None and present[0] == state:
            return present[1]
        snap = self._build(namespace, at)
        if at < self.world.now:
            if len(self._cache) > 20000:
                self._cache.clear()
            self._cache[key] = snap
        elif at == self.world.now:
            self._present[namespace] = (state, snap)
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
        running = []
        for c, program, ctx, seen in mine:
            telemetry = program.telemetry(ctx, seen)
            if telemetry is None:
                continue
            serving = bool(program.serving(ctx))
            instances.append(Instance(c, telemetry, seen, c.ready(at), 1.0, serving))
            running.append((program, ctx))
        snap = Snapshot(namespace, at, instances)
        order = _topological([inst.telemetry for inst in instances])
        self._flow(snap, order)
        # Only now is each instance's load known, and with it how slow its CPU makes it.
        for index, (inst, (program, ctx)) in enumerate(zip(instances, running, strict=True)):
            node = inst.container.pod_run.node
            inst.slowdown = _slowdown(
                inst.container, program, ctx, inst.seen, self._load(snap, index)
            ) * self._contention(node, demand[node])
        for service in reversed(order):
            for index in snap.of(service):
                for op in snap.instances[index].telemetry.operations:
                    snap.results[(index, op)] = self._outcomes(snap, index, op)
        return snap

    @staticmethod
    def _load(snap: Snapshot, index: int) -> float:
        """Millicores an instance spends on its requests (rate x CPU per request)."""
        inst = snap.instances[index]
        rate = sum(snap.rates.get((index, op), 0.0) for op in inst.telemetry.operations)
        return rate * inst.telemetry.cpu_ms_per_request

    def load_millicores(self, pod: Obj, container: str, at: datetime) -> float:
        """The load part of a container's CPU at `at` (World.load)."""
        window = int(at.timestamp()) // SCRAPE_SECONDS
        middle = datetime.fromtimestamp(window * SCRAPE_SECONDS + SCRAPE_SECONDS / 2, tz=UTC)
        snap = self.snapshot(pod["metadata"]["namespace"], min(middle, self.world.now))
        index = snap.index_of(f"{pod['metadata']['uid']}/{container}")
        return 0.0 if index is None else self._load(snap, index)

    def add_surge(self, namespace: str, since: datetime, factor: float) -> None:
        """From `since`, the load generator sends `factor` times its usual rate."""
        self.surges.setdefault(namespace, []).append((since, factor))
        self._present.clear()  # a surge from now on changes the present's traffic
        # ... and, with no write to the store, what this world shares with the other
        # copies of its snapshot (sim.world.pasts) no longer holds for it.
        self.world.past = None

    def _factor(self, namespace: str, at: datetime) -> float:
        factor = 1.0
        for since, value in self.surges.get(namespace, []):
            if since <= at:
                factor = value
        return factor

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
        factor = self._factor(snap.namespace, snap.at)
        for service, rps in self.entries.get(snap.namespace, {}).items():
            incoming[service] += rps * factor
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

    def _outcomes(self, snap: Snapshot, index: int, op: str) -> Outcomes:
        """What requests of `op` on this instance get: each call in turn, every failing
        share ending the request there, as the services' handlers do."""
        inst = snap.instances[index]
        protocol = inst.telemetry.protocol
        if not inst.serving:  # nothing accepts the connection; callers record the refusal
            return [(1.0, Result("unavailable", code_for(protocol, "unavailable"), 1.0))]
        ok_share, ok_ms = 1.0, inst.own_ms
        done: list[tuple[float, Result]] = []
        for key, callee, kind in snap.calls(index, op):
            going = 0.0
            for share, outcome, ms in self._call(snap, inst, callee, kind):
                if outcome == "ok":
                    going += share
                    continuing_ms = ms
                else:
                    failure = Result(outcome, code_for(protocol, outcome), ok_ms + ms, key)
                    done.append((ok_share * share, failure))
            if going <= 0:
                ok_share = 0.0
                break
            ok_share, ok_ms = ok_share * going, ok_ms + continuing_ms
        if ok_share > 0:
            final = "internal" if inst.telemetry.failing else "ok"
            done.append((ok_share, Result(final, code_for(protocol, final), ok_ms)))
        return _merged(done)

    def _call(
        self, snap: Snapshot, inst: Instance, callee: str, kind: str
    ) -> list[tuple[float, str, float]]:
        """(share, outcome, ms) of one call: what the caller observed when the connection
        itself fails, else the mix of what the callee's replicas answer (kube-proxy spreads
        connections evenly, so one broken replica of three fails a third of them)."""
        if kind == "timeout":
            return [(1.0, "timeout", TIMEOUT_MS)]
        if kind == "unavailable":
            return [(1.0, "unavailable", 1.0)]
        edge = self.edge_delay(snap, inst.pod, callee)
        receivers = snap.receivers(callee)
        if not receivers or kind == "error":  # a database, or a callee failing upstream
            ms = PEER_MS if not receivers else snap.mean_latency(callee)
            return [(1.0, "ok" if kind == "ok" else "error", edge + ms)]
        mix: dict[str, list[float]] = {}
        for r in receivers:
            outcomes = snap.outcomes(r) or [(1.0, Result("ok", "", PEER_MS))]
            for share, result in outcomes:
                outcome = (
                    "ok"
                    if result.kind == "ok"
                    else "unavailable"
                    if not snap.instances[r].serving
                    else "error"
                )
                ms = 1.0 if outcome == "unavailable" else edge + result.latency_ms
                entry = mix.setdefault(outcome, [0.0, 0.0])
                entry[0] += share / len(receivers)
                entry[1] += share / len(receivers) * ms
        return [(s, k, total / s) for k, (s, total) in mix.items() if s > 0]

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


def _slowdown(
    c: Container, program: Program, ctx: RunContext, seen: Observation, load: float
) -> float:
    """Requests queue behind a CPU quota the service needs more than: latency grows with
    demand (idle usage plus the requests' CPU) over the limit, as under CFS throttling."""
    limit = parse_cpu(((c.spec.get("resources") or {}).get("limits") or {}).get("cpu"))
    if not limit:
        return 1.0
    ratio = (program.usage(ctx, seen)[0] + load) / limit
    # Capped: far past its quota a service is simply as slow as the clients tolerate.
    return min(1.0 + max(ratio - 0.7, 0.0) * 10, MAX_SLOWDOWN)


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


def _merged(outcomes: list[tuple[float, Result]]) -> Outcomes:
    """Outcomes with the same kind, code and failing call folded into one (mean latency)."""
    groups: dict[tuple[str, str, str | None], list[float]] = {}
    for share, result in outcomes:
        entry = groups.setdefault((result.kind, result.code, result.failed_call), [0.0, 0.0])
        entry[0] += share
        entry[1] += share * result.latency_ms
    return [
        (share, Result(kind, code, total / share, call))
        for (kind, code, call), (share, total) in groups.items()
        if share > 0
    ]
