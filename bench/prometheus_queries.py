"""Latency of the telemetry APIs against an emulated cluster (run by hand).

`.venv/bin/python bench/prometheus_queries.py`: serves AstronomyShop with the payment-failure
flag on (the biggest app), then times typical PromQL queries (container and request metrics),
Jaeger searches and the alert evaluation over HTTP, twice each: the first call computes and
caches what is wholly in the past, the second shows the steady state.
"""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime

from sim.scenario import find_scenario
from sim.session import start_scenario

QUERIES = {
    "instant: top CPU pods": "topk(5, sum by (pod) (rate(container_cpu_usage_seconds_total"
    '{namespace="astronomy-shop"}[5m])))',
    "instant: restarts in 30m": "sum by (pod) (increase(kube_pod_container_status_restarts_total"
    "[30m]))",
    "instant: memory near limit": "max by (pod) (container_memory_working_set_bytes) / on(pod) "
    "group_left max by (pod) (kube_pod_container_resource_limits"
    '{resource="memory"})',
    "instant: error ratio by service": "sum by (service) (rate(rpc_server_duration_seconds_count"
    '{rpc_grpc_status_code!="0"}[2m])) / sum by (service) (rate(rpc_server_duration_seconds_count'
    "[2m]))",
    "instant: p99 by route": "histogram_quantile(0.99, sum by (http_route, le) (rate("
    "http_server_request_duration_seconds_bucket[5m])))",
    "range 30m/15s: CPU by pod": "sum by (pod) (rate(container_cpu_usage_seconds_total[1m]))",
    "range 30m/15s: p99 by service": "histogram_quantile(0.99, sum by (service, le) (rate("
    "rpc_server_duration_seconds_bucket[1m])))",
}
OTHERS = {
    "jaeger: 20 traces of frontend": ("jaeger", "/api/traces", {"service": "frontend"}),
    "jaeger: error traces, 1h": (
        "jaeger",
        "/api/traces",
        {"service": "checkout", "tags": '{"error":"true"}', "lookback": "1h", "limit": 50},
    ),
    "prometheus: /api/v1/alerts": ("prometheus", "/api/v1/alerts", {}),
}


def main() -> None:
    running = start_scenario(
        find_scenario("astronomy_shop_payment_service_failure-1"),
        present=datetime(2026, 1, 13, 12, tzinfo=UTC),
    )
    now = running.cluster.world.now.timestamp()
    print(f"{'query':<34} {'first ms':>9} {'again ms':>9} {'results':>8}")
    calls = {}
    for title, query in QUERIES.items():
        if title.startswith("range"):
            params = {"query": query, "start": now - 1800, "end": now, "step": "15s"}
            calls[title] = ("prometheus", "/api/v1/query_range", params)
        else:
            calls[title] = ("prometheus", "/api/v1/query", {"query": query})
    calls.update(OTHERS)
    for title, (api, path, params) in calls.items():
        base = running.cluster.prometheus_url if api == "prometheus" else running.cluster.jaeger_url
        url = f"{base}{path}?{urllib.parse.urlencode(params)}"
        timings = []
        for _ in range(2):
            started = time.perf_counter()
            with urllib.request.urlopen(url) as response:
                body = json.loads(response.read())
            timings.append((time.perf_counter() - started) * 1000)
        data = body["data"]
        if isinstance(data, dict):
            data = data.get("result", data.get("alerts", []))
        count = len(data)
        print(f"{title:<34} {timings[0]:>9.1f} {timings[1]:>9.1f} {count:>8}")
    running.stop()


if __name__ == "__main__":
    main()
