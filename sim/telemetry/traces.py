"""Distributed traces drawn from the traffic model: one sampled request every few seconds per
app, following the call graph the way the services' OpenTelemetry/Jaeger clients record it
(a server span per service, a client span per call, database calls as client spans only).

A trace is a pure function of (namespace, start time): its id encodes both, so
`/api/traces/<id>` rebuilds exactly the trace a search returned. Errors and latency come
from the same snapshot the request metrics use, so a failing edge is failing in both.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sim.telemetry.history import SCRAPE_SECONDS
from sim.telemetry.requests import SIGMA
from sim.telemetry.snapshot import PEER_MS, TIMEOUT_MS, Outcomes, Result, Snapshot
from sim.telemetry.traffic import TrafficModel
from sim.world import pasts

Obj = dict[str, Any]
EVERY_MS = 2000  # one sampled trace per app every two seconds
_ERRORS = {
    "unavailable": "connection refused",
    "timeout": "context deadline exceeded",
    "error": "upstream call failed",
    "internal": "internal error",
}


@dataclass
class Span:
    span_id: str
    parent: str | None
    service: str
    pod: str
    operation: str
    start_us: int
    duration_us: int
    tags: dict[str, Any] = field(default_factory=dict)


@dataclass
class Trace:
    trace_id: str
    namespace: str
    spans: list[Span]
    # Its Jaeger JSON, once rendered: a built trace never changes, and searches (of every
    # copy of a snapshot, for its past) return the same trace many times.
    json: dict[str, Any] | None = field(default=None, compare=False, repr=False)

    @property
    def services(self) -> set[str]:
        return {s.service for s in self.spans}


def namespace_key(namespace: str) -> str:
    return hashlib.sha256(namespace.encode()).hexdigest()[:16]


def trace_id(namespace: str, start_ms: int) -> str:
    return f"{namespace_key(namespace)}{start_ms:016x}"


def parse_trace_id(text: str) -> tuple[str, int] | None:
    """(namespace key, start in ms) from a trace id, or None if it is not one of ours."""
    text = text.lower().rjust(32, "0")
    if len(text) != 32 or any(c not in "0123456789abcdef" for c in text):
        return None
    return text[:16], int(text[16:], 16)


class TraceBuilder:
    def __init__(self, traffic: TrafficModel) -> None:
        self.traffic = traffic
        # Traces drawn from a snapshot wholly in the past never change (searches for several
        # services, and with and without an error tag, walk the same sampled traces).
        self._settled: dict[tuple[str, int], Trace | None] = {}

    def starts(self, since: datetime, until: datetime) -> list[int]:
        """Start times (ms since the epoch) of sampled traces in [since, until), newest first."""
        first = math.ceil(since.timestamp() * 1000 / EVERY_MS)
        last = math.ceil(until.timestamp() * 1000 / EVERY_MS) - 1
        return [k * EVERY_MS for k in range(last, first - 1, -1)]

    def build(self, namespace: str, start_ms: int) -> Trace | None:
        """The trace sampled at `start_ms`, or None if no entry service was serving."""
        at = datetime.fromtimestamp(start_ms / 1000, tz=UTC)
        window = int(at.timestamp()) // SCRAPE_SECONDS
        middle = datetime.fromtimestamp(window * SCRAPE_SECONDS + SCRAPE_SECONDS / 2, tz=UTC)
        if at > self.traffic.world.now:
            return None
        settled = middle < self.traffic.world.now
        if not settled:
            return self._build(namespace, start_ms, self.traffic.world.now)
        # Building traces was most of a search; eval's tasks of a scenario search the same
        # past, shared by the copies of its snapshot (pickled with it, they cost as much).
        kept = pasts.past(self.traffic.world, "traces", middle)
        if kept is None:
            kept = self._settled
            if len(kept) > 20000:
                kept.clear()
        key = (namespace, start_ms)
        if key not in kept:
            kept[key] = self._build(namespace, start_ms, middle)
        trace: Trace | None = kept[key]
        return trace

    def _build(self, namespace: str, start_ms: int, at: datetime) -> Trace | None:
        snap = self.traffic.snapshot(namespace, at)
        tid = trace_id(namespace, start_ms)
        rng = random.Random(tid)
        entries = [s for s in self.traffic.entries.get(namespace, {}) if snap.receivers(s)]
        if not entries:
            return None
        service = rng.choice(sorted(entries))
        index = rng.choice(snap.receivers(service))
        op = rng.choice(sorted(snap.instances[index].telemetry.operations))
        trace = Trace(tid, namespace, [])
        _Walk(snap, trace, rng, self.traffic).server(index, op, start_ms * 1000, None)
        return trace


def _jitter(rng: random.Random) -> float:
    return math.exp(rng.gauss(0, SIGMA) - SIGMA**2 / 2)


@dataclass
class _Walk:
    snap: Snapshot
    trace: Trace
    rng: random.Random
    traffic: TrafficModel

    def _id(self) -> str:
        return f"{self.rng.getrandbits(64):016x}"

    def server(
        self,
        index: int,
        op: str,
        start_us: int,
        parent: str | None,
        path: tuple[str, ...] = (),
        want: str | None = None,
    ) -> Span:
        """The server span of one request, drawn from the operation's outcome mix (`want`
        "ok" or "error" when the caller's span already decided which it saw)."""
        inst = self.snap.instances[index]
        path += (inst.service,)
        telemetry = inst.telemetry
        result = self._pick(self.snap.results.get((index, op), []), want)
        span = Span(self._id(), parent, telemetry.service, inst.pod["metadata"]["name"], op, 0, 0)
        span.start_us = start_us
        self.trace.spans.append(span)
        own = inst.own_ms
        cursor = start_us + int(own * 1000 * _jitter(self.rng) / 2)
        for key, callee, _ in self.snap.calls(index, op):
            outcome = result.kind if key == result.failed_call else "ok"
            if callee not in path:  # services calling each other back do so in other methods
                cursor += self.client(inst.pod, span, key, callee, outcome, cursor, path)
            if key == result.failed_call:
                break
        span.duration_us = cursor - start_us + int(own * 1000 / 2)
        span.tags = _server_tags(telemetry.protocol, op, result.code)
        if result.kind != "ok":
            span.tags |= {"error": True, "otel.status_description": _ERRORS[result.kind]}
        return span

    def _pick(self, outcomes: Outcomes, want: str | None) -> Result:
        matching = [
            (share, r)
            for share, r in outcomes
            if want is None or (r.kind == "ok") == (want == "ok")
        ] or outcomes
        if not matching:
            return Result("ok", "0", PEER_MS)
        roll = self.rng.random() * sum(share for share, _ in matching)
        for share, result in matching:
            roll -= share
            if roll <= 0:
                return result
        return matching[-1][1]

    def client(
        self,
        pod: Obj,
        parent: Span,
        key: str,
        callee: str,
        outcome: str,
        start: int,
        path: tuple[str, ...],
    ) -> int:
        """A client span for one call that ends in `outcome`; returns its duration (us)."""
        span = Span(self._id(), parent.span_id, parent.service, parent.pod, "", start, 0)
        self.trace.spans.append(span)
        span.tags = {"span.kind": "client", "peer.service": callee}
        known = [self.snap.instances[i].telemetry.operations for i in self.snap.of(callee)]
        span.operation = sorted(known[0])[0] if known else callee
        if outcome != "ok":
            span.tags |= {"error": True, "otel.status_description": _ERRORS[outcome]}
        if outcome in ("unavailable", "timeout"):
            span.duration_us = int((1.0 if outcome == "unavailable" else TIMEOUT_MS) * 1000)
            return span.duration_us
        delay = self.traffic.edge_delay(self.snap, pod, callee)
        targets = self.snap.answering(callee, outcome == "ok")
        if not targets:  # a database or cache (a client span only), or an upstream failure
            if key == "mongo":
                span.operation = "mongo.query"
                span.tags["db.system"] = "mongodb"
            span.duration_us = int((PEER_MS * _jitter(self.rng) + delay) * 1000)
            return span.duration_us
        target = self.rng.choice(targets)
        op = self.rng.choice(sorted(self.snap.instances[target].telemetry.operations))
        span.operation = op
        child = self.server(target, op, start + int(delay * 500) + 50, span.span_id, path, outcome)
        span.duration_us = child.duration_us + int(delay * 1000) + 100
        return span.duration_us


def _server_tags(protocol: str, op: str, code: str) -> dict[str, Any]:
    tags: dict[str, Any] = {"span.kind": "server"}
    if protocol == "http":
        method, _, route = op.removeprefix("HTTP ").partition(" ")
        return tags | {
            "http.request.method": method if route else "GET",
            "http.route": route or op,
            "http.response.status_code": int(code),
        }
    tags["rpc.system"] = "grpc" if protocol == "grpc" else "apache_thrift"
    if protocol == "grpc":
        tags["rpc.grpc.status_code"] = int(code)
    elif code:
        tags["error.type"] = code
    return tags


def lookback(text: str) -> timedelta | None:
    """Jaeger's lookback values: 1h, 2d, 30m, ..."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    if len(text) < 2 or text[-1] not in units or not text[:-1].isdigit():
        return None
    return timedelta(seconds=int(text[:-1]) * units[text[-1]])
