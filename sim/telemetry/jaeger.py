"""Jaeger's query HTTP API (the one its UI and `jaeger-query` clients use) over the traces
drawn from the traffic model: services, operations, trace search and trace by id, in Jaeger's
JSON (microsecond timestamps, typed tags, one process per service instance)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from sim.kube.api import ResourceApi
from sim.telemetry.history import containers
from sim.telemetry.requests import identity
from sim.telemetry.traces import (
    EVERY_MS,
    Trace,
    TraceBuilder,
    lookback,
    namespace_key,
    parse_trace_id,
)
from sim.telemetry.traffic import TrafficModel
from sim.wire import json_response

Obj = dict[str, Any]
DEFAULT_LIMIT = 20
MAX_SCAN = 3600  # sampled traces examined per search (two hours)


def _envelope(data: Any, status: int = 200, errors: list[Obj] | None = None) -> web.Response:
    total = len(data) if isinstance(data, list) else 0
    body = {"data": data, "total": total, "limit": 0, "offset": 0, "errors": errors}
    return json_response(body, status=status)


def _error(status: int, message: str) -> web.Response:
    return _envelope(None, status, [{"code": status, "msg": message}])


def duration_us(text: str) -> int:
    """Jaeger's durations: 1.5s, 100ms, 250us, 2m."""
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(us|µs|ms|s|m|h)", text.strip())
    if not match:
        raise ValueError(f'cannot parse duration "{text}"')
    scale = {"us": 1, "µs": 1, "ms": 1e3, "s": 1e6, "m": 6e7, "h": 3.6e9}[match.group(2)]
    return int(float(match.group(1)) * scale)


def _tag(key: str, value: Any) -> Obj:
    kind = (
        "bool"
        if isinstance(value, bool)
        else "int64"
        if isinstance(value, int)
        else "float64"
        if isinstance(value, float)
        else "string"
    )
    return {"key": key, "type": kind, "value": value}


def render(trace: Trace) -> Obj:
    if trace.json is None:
        trace.json = _render(trace)
    return trace.json


def _render(trace: Trace) -> Obj:
    processes: dict[tuple[str, str], str] = {}
    spans = []
    for span in trace.spans:
        pid = processes.setdefault((span.service, span.pod), f"p{len(processes) + 1}")
        spans.append(
            {
                "traceID": trace.trace_id,
                "spanID": span.span_id,
                "flags": 1,
                "operationName": span.operation,
                "references": (
                    [{"refType": "CHILD_OF", "traceID": trace.trace_id, "spanID": span.parent}]
                    if span.parent
                    else []
                ),
                "startTime": span.start_us,
                "duration": span.duration_us,
                "tags": [_tag(k, v) for k, v in span.tags.items()],
                "logs": [],
                "processID": pid,
                "warnings": None,
            }
        )
    return {
        "traceID": trace.trace_id,
        "spans": spans,
        "processes": {
            pid: {
                "serviceName": service,
                "tags": [_tag("hostname", pod), _tag("k8s.namespace.name", trace.namespace)],
            }
            for (service, pod), pid in processes.items()
        },
        "warnings": None,
    }


def _matches(trace: Trace, service: str, operation: str | None, tags: dict[str, str]) -> bool:
    for span in trace.spans:
        if span.service != service or (operation and span.operation != operation):
            continue
        if all(str(span.tags.get(k, "")).lower() == v.lower() for k, v in tags.items()):
            return True
    return False


def _tags(query: Any) -> dict[str, str]:
    tags: dict[str, str] = {}
    if query.get("tags"):
        tags |= {str(k): str(v) for k, v in json.loads(query["tags"]).items()}
    for item in query.getall("tag", []):
        key, _, value = item.partition(":")
        tags[key] = value
    return tags


class JaegerApi:
    def __init__(self, api: ResourceApi, traffic: TrafficModel) -> None:
        self.api = api
        self.traffic = traffic
        self.builder = TraceBuilder(traffic)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/api/services", self.services)
        app.router.add_get("/api/services/{service}/operations", self.operations)
        app.router.add_get("/api/operations", self.operations)
        app.router.add_get("/api/traces", self.search)
        app.router.add_get("/api/traces/{trace_id}", self.trace)
        return app

    def _catalog(self) -> dict[str, tuple[str, set[str]]]:
        """service -> (namespace, its server operations)."""
        out: dict[str, tuple[str, set[str]]] = {}
        for c in containers(self.traffic.world):
            telemetry = identity(c)
            if telemetry is not None:
                namespace = c.pod["metadata"]["namespace"]
                out.setdefault(telemetry.service, (namespace, set()))[1].update(
                    telemetry.operations
                )
        return out

    async def services(self, request: web.Request) -> web.Response:
        with self.api.lock:
            return _envelope(sorted(self._catalog()))

    async def operations(self, request: web.Request) -> web.Response:
        service = request.match_info.get("service") or request.query.get("service", "")
        with self.api.lock:
            found = self._catalog().get(service)
        ops = sorted(found[1]) if found else []
        if "service" in request.match_info:
            return _envelope(ops)
        return _envelope([{"name": op, "spanKind": "server"} for op in ops])

    async def search(self, request: web.Request) -> web.Response:
        query = request.query
        service = query.get("service", "")
        if not service:
            return _error(400, "parameter 'service' is required")
        try:
            tags = _tags(query)
            limit = int(query.get("limit") or DEFAULT_LIMIT)
            low = duration_us(query["minDuration"]) if query.get("minDuration") else 0
            high = duration_us(query["maxDuration"]) if query.get("maxDuration") else None
        except (ValueError, AttributeError) as exc:
            return _error(400, f"malformed query: {exc}")
        with self.api.lock:
            self.api.sync()
            now = self.traffic.world.now
            try:
                since, until = self._window(query, now)
            except ValueError as exc:
                return _error(400, str(exc))
            found = self._catalog().get(service)
            traces = []
            if found is not None:
                for start in self.builder.starts(since, until)[:MAX_SCAN]:
                    trace = self.builder.build(found[0], start)
                    if trace is None or not _matches(trace, service, query.get("operation"), tags):
                        continue
                    root = trace.spans[0].duration_us
                    if root < low or (high is not None and root > high):
                        continue
                    traces.append(render(trace))
                    if len(traces) >= limit:
                        break
        return _envelope(traces)

    def _window(self, query: Any, now: datetime) -> tuple[datetime, datetime]:
        until = now
        if query.get("end"):
            until = min(now, datetime.fromtimestamp(int(query["end"]) / 1e6, tz=UTC))
        if query.get("start"):
            return datetime.fromtimestamp(int(query["start"]) / 1e6, tz=UTC), until
        span = lookback(query.get("lookback") or "1h")
        if span is None:
            raise ValueError(f"malformed lookback: {query.get('lookback')}")
        return until - span, until

    async def trace(self, request: web.Request) -> web.Response:
        parsed = parse_trace_id(request.match_info["trace_id"])
        if parsed is None:
            return _error(400, "malformed trace id")
        key, start_ms = parsed
        with self.api.lock:
            self.api.sync()
            namespaces = {namespace_key(ns): ns for ns in self.traffic.entries}
            namespace = namespaces.get(key)
            trace = None
            if namespace is not None and start_ms % EVERY_MS == 0:
                trace = self.builder.build(namespace, start_ms)
        if trace is None:
            return _error(404, "trace not found")
        return _envelope([render(trace)])
