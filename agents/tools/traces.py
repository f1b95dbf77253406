"""Traces of a service from Jaeger's query API, summarised the way an SRE reads them: which
edges fail (caller -> callee, operation, how often, what error) and which are slow."""

from __future__ import annotations

import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter, defaultdict
from typing import Any

import orjson

from agents.tools.record import DEFAULT_CAP, ToolCall, finish


class Traces:
    def __init__(self, url: str, *, timeout: float = 15.0, limit: int = DEFAULT_CAP) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.limit = limit
        self.calls: list[ToolCall] = []

    def service(self, service: str, lookback: str = "15m", role: str = "probe") -> ToolCall:
        """Error edges and the slowest edges in a service's recent traces."""
        call = ToolCall(tool="traces", request=[service, lookback], role=role, decision="allow")
        started = time.monotonic()
        try:
            found = self._get(service, lookback, limit=50)
            failing = self._get(service, lookback, limit=50, tags='{"error":"true"}')
            text, code = summarise(service, found, failing), 0
        except urllib.error.HTTPError as exc:
            text, code = f"Jaeger refused the search: {exc.read().decode(errors='replace')}", 1
        except (OSError, ValueError) as exc:
            text, code = f"Jaeger unreachable: {exc}", 1
        finish(call, text, code, started, self.limit)
        self.calls.append(call)
        return call

    def _get(self, service: str, lookback: str, **params: Any) -> list[dict[str, Any]]:
        query = urllib.parse.urlencode({"service": service, "lookback": lookback, **params})
        with urllib.request.urlopen(f"{self.url}/api/traces?{query}", timeout=self.timeout) as r:
            return list(orjson.loads(r.read())["data"] or [])


def _edges(trace: dict[str, Any]) -> list[tuple[str, str, str, int, dict[str, Any]]]:
    """(caller, callee, operation, duration us, tags) of every client span."""
    processes = trace["processes"]
    out = []
    for span in trace["spans"]:
        tags = {t["key"]: t["value"] for t in span["tags"]}
        if tags.get("span.kind") != "client":
            continue
        caller = processes[span["processID"]]["serviceName"]
        out.append((caller, str(tags.get("peer.service", "?")), span["operationName"],
                    int(span["duration"]), tags))  # fmt: skip
    return out


def summarise(service: str, traces: list[dict[str, Any]], failing: list[dict[str, Any]]) -> str:
    if not traces and not failing:
        return f"no traces of {service} in the window"
    errors: Counter[tuple[str, str, str, str]] = Counter()
    for trace in failing:
        for caller, callee, op, _, tags in _edges(trace):
            if tags.get("error"):
                errors[(caller, callee, op, str(tags.get("otel.status_description", "")))] += 1
    durations: dict[tuple[str, str], list[int]] = defaultdict(list)
    for trace in traces:
        for caller, callee, _, duration, _ in _edges(trace):
            durations[(caller, callee)].append(duration)
    lines = [f"{len(traces)} recent traces of {service}, {len(failing)} with errors"]
    if errors:
        lines.append("failing edges (caller -> callee, operation, spans, error):")
        for (caller, callee, op, why), n in errors.most_common(8):
            lines.append(f"  {caller} -> {callee}  {op}  {n}x  {why}")
    slow = sorted(
        ((sorted(d)[len(d) * 99 // 100], edge, len(d)) for edge, d in durations.items()),
        reverse=True,
    )[:5]
    if slow:
        lines.append("slowest edges (p99 of client spans):")
        lines += [f"  {a} -> {b}  {p99 / 1000:.1f} ms over {n} calls" for p99, (a, b), n in slow]
    return "\n".join(lines)
