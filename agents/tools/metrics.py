"""Metric queries against Prometheus's HTTP API: the named queries an SRE reaches for first,
and raw PromQL. Results come back as a short text table a model can read."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from agents.tools.record import DEFAULT_CAP, ToolCall, finish

_RPC = "rpc_server_duration_seconds"
_HTTP = "http_server_request_duration_seconds"
NAMED: dict[str, str] = {
    "cpu": 'sum by (pod) (rate(container_cpu_usage_seconds_total{namespace="$ns"}[5m]))',
    "memory": 'sum by (pod) (container_memory_working_set_bytes{namespace="$ns"})',
    "memory_vs_limit": "max by (pod, container) (container_memory_working_set_bytes"
    '{namespace="$ns"}) / on (pod, container) max by (pod, container) '
    "(kube_pod_container_resource_limits"
    '{namespace="$ns", resource="memory"})',
    "throttling": "sum by (pod, container) (increase(container_cpu_cfs_throttled_periods_total"
    '{namespace="$ns"}[5m])) / sum by (pod, container) (increase(container_cpu_cfs_periods_total'
    '{namespace="$ns"}[5m]))',
    "restarts": "sum by (pod, container) (increase(kube_pod_container_status_restarts_total"
    '{namespace="$ns"}[15m])) > 0',
    "request_rate": f'sum by (service) (rate({_HTTP}_count{{namespace="$ns"}}[5m]))'
    f' or sum by (service) (rate({_RPC}_count{{namespace="$ns"}}[5m]))',
    "error_rate": f"(sum by (service) (rate({_HTTP}_count"
    '{namespace="$ns", http_response_status_code=~"5.."}[5m])) or sum by (service) (rate('
    f'{_RPC}_count{{namespace="$ns", rpc_grpc_status_code=~"[1-9].*"}}[5m])) or sum by (service)'
    f' (rate({_RPC}_count{{namespace="$ns", error_type=~".+"}}[5m]))) / (sum by (service) (rate('
    f'{_HTTP}_count{{namespace="$ns"}}[5m])) or sum by (service) (rate({_RPC}_count'
    '{namespace="$ns"}[5m])))',
    # What changed at the fault: now against ten minutes ago (series that started since are
    # new pods, which the restarts and pod states already show).
    "cpu_change": 'sum by (pod) (rate(container_cpu_usage_seconds_total{namespace="$ns"}[2m]))'
    ' / sum by (pod) (rate(container_cpu_usage_seconds_total{namespace="$ns"}[2m] offset 10m))',
    "memory_change": 'sum by (pod) (container_memory_working_set_bytes{namespace="$ns"})'
    ' / sum by (pod) (container_memory_working_set_bytes{namespace="$ns"} offset 10m)',
    "p99_latency": "histogram_quantile(0.99, sum by (service, le) (rate("
    f'{_HTTP}_bucket{{namespace="$ns"}}[5m])) or sum by (service, le) (rate('
    f'{_RPC}_bucket{{namespace="$ns"}}[5m])))',
}


class Metrics:
    def __init__(self, url: str, *, timeout: float = 15.0, limit: int = DEFAULT_CAP) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.limit = limit
        self.calls: list[ToolCall] = []

    def named(self, name: str, namespace: str, role: str = "probe") -> ToolCall:
        if name not in NAMED:
            return self._refuse([name, namespace], role, f"unknown query; one of {sorted(NAMED)}")
        return self._query([name, namespace], NAMED[name].replace("$ns", namespace), role)

    def promql(self, query: str, role: str = "probe") -> ToolCall:
        return self._query(["promql", query], query, role)

    def _refuse(self, request: list[str], role: str, reason: str) -> ToolCall:
        call = ToolCall(tool="metrics", request=request, role=role, decision="deny", reason=reason)
        self.calls.append(call)
        return call

    def _query(self, request: list[str], query: str, role: str) -> ToolCall:
        call = ToolCall(tool="metrics", request=request, role=role, decision="allow")
        started = time.monotonic()
        url = f"{self.url}/api/v1/query?{urllib.parse.urlencode({'query': query})}"
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as response:
                body = json.loads(response.read())
            text, code = render(body["data"]), 0
        except urllib.error.HTTPError as exc:
            error = json.loads(exc.read() or b"{}").get("error", exc.reason)
            text, code = f"Prometheus refused the query: {error}", 1
        except (OSError, ValueError, KeyError) as exc:
            text, code = f"Prometheus unreachable: {exc}", 1
        finish(call, text, code, started, self.limit)
        self.calls.append(call)
        return call


def render(data: dict[str, Any]) -> str:
    """A vector or scalar as `labels  value` lines, largest first."""
    if data.get("resultType") == "scalar":
        return str(data["result"][1])
    rows = [
        (
            " ".join(f"{k}={v}" for k, v in sorted(item["metric"].items()) if k != "__name__"),
            float(item["value"][1]),
        )
        for item in data.get("result", [])
    ]
    if not rows:
        return "(no series)"
    rows.sort(key=lambda row: -abs(row[1]) if row[1] == row[1] else 0)
    return "\n".join(f"{labels or '{}'}  {value:.6g}" for labels, value in rows)
