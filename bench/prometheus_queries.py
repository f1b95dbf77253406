"""Latency of typical PromQL queries against the emulated Prometheus (run by hand).

`.venv/bin/python bench/prometheus_queries.py`: serves AstronomyShop with the ad service's
high-CPU flag on (the biggest app), then times each query over HTTP, twice: the first call
computes and caches counter windows, the second shows the steady state.
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
    "range 30m/15s: CPU by pod": "sum by (pod) (rate(container_cpu_usage_seconds_total[1m]))",
}


def main() -> None:
    running = start_scenario(
        find_scenario("astronomy_shop_ad_service_high_cpu-1"),
        present=datetime(2026, 1, 13, 12, tzinfo=UTC),
    )
    now = running.cluster.world.now.timestamp()
    print(f"{'query':<30} {'first ms':>9} {'again ms':>9} {'series':>7}")
    for title, query in QUERIES.items():
        if title.startswith("range"):
            params = {"query": query, "start": now - 1800, "end": now, "step": "15s"}
            path = "/api/v1/query_range"
        else:
            params, path = {"query": query}, "/api/v1/query"
        url = f"{running.cluster.prometheus_url}{path}?{urllib.parse.urlencode(params)}"
        timings = []
        for _ in range(2):
            started = time.perf_counter()
            with urllib.request.urlopen(url) as response:
                body = json.loads(response.read())
            timings.append((time.perf_counter() - started) * 1000)
        print(f"{title:<30} {timings[0]:>9.1f} {timings[1]:>9.1f} {len(body['data']['result']):>7}")
    running.stop()


if __name__ == "__main__":
    main()
