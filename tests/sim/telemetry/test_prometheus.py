"""The Prometheus HTTP API over plain HTTP: envelopes, PromQL, and faults visible in numbers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.sim.telemetry.http import prom, vector


def test_crash_loop_and_restarts_show_in_kube_state_metrics(scenario_cluster: Any) -> None:
    running, _ = scenario_cluster("revoke_auth_mongodb-1")
    waiting = vector(
        running, 'kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff"} == 1'
    )
    assert [labels["container"] for labels, _ in waiting] == ["hotel-reserv-geo"]
    restarts = vector(
        running, "sum by (container) (increase(kube_pod_container_status_restarts_total[10m])) > 0"
    )
    assert [labels["container"] for labels, _ in restarts] == ["hotel-reserv-geo"]
    assert restarts[0][1] >= 3
    before = running.fault_time - timedelta(minutes=1)
    assert (
        vector(
            running,
            'kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff"} == 1',
            time=before.timestamp(),
        )
        == []
    )


def test_cpu_of_the_flagged_service_rises_at_the_fault(scenario_cluster: Any) -> None:
    running, _ = scenario_cluster("astronomy_shop_ad_service_high_cpu-1")
    query = (
        "topk(1, sum by (pod) (rate(container_cpu_usage_seconds_total"
        '{namespace="astronomy-shop"}[2m])))'
    )
    top = vector(running, query)
    assert top[0][0]["pod"].startswith("ad-") and top[0][1] > 0.3
    before = vector(running, query, time=(running.fault_time - timedelta(minutes=3)).timestamp())
    assert not before[0][0]["pod"].startswith("ad-")
    body = prom(
        running,
        "/api/v1/query_range",
        query='sum(rate(container_cpu_usage_seconds_total{pod=~"ad-.*"}[1m]))',
        start=(running.fault_time - timedelta(minutes=4)).timestamp(),
        end=(running.fault_time + timedelta(minutes=4)).timestamp(),
        step="60s",
    )
    values = [float(v) for _, v in body["data"]["result"][0]["values"]]
    assert body["data"]["resultType"] == "matrix" and len(values) == 9
    assert max(values[:3]) * 5 < min(values[-3:])


def test_series_labels_and_metadata(social_network: Any) -> None:
    running, _ = social_network
    names = prom(running, "/api/v1/label/__name__/values")["data"]
    assert "container_memory_working_set_bytes" in names
    series = prom(
        running,
        "/api/v1/series",
        **{"match[]": 'container_memory_working_set_bytes{pod=~"user-service-.*"}'},
    )
    assert [s["container"] for s in series["data"]] == ["user-service"]
    pods = prom(
        running,
        "/api/v1/label/pod/values",
        **{"match[]": 'kube_pod_status_phase{namespace="test-social-network"}'},
    )["data"]
    assert len(pods) == 27
    metadata = prom(running, "/api/v1/metadata")["data"]
    assert metadata["container_cpu_usage_seconds_total"][0]["type"] == "counter"
    assert metadata["kube_pod_status_phase"][0]["type"] == "gauge"


@pytest.mark.parametrize(
    ("query", "status", "kind"),
    [
        ("sum(rate(x[5m]", 400, "bad_data"),
        ("double_exponential_smoothing(x[5m], 0.5, 0.5)", 422, "execution"),
    ],
)
def test_errors_have_prometheus_shape(
    social_network: Any, query: str, status: int, kind: str
) -> None:
    running, _ = social_network
    body = prom(running, "/api/v1/query", query=query)
    assert body["http_status"] == status
    assert body["status"] == "error" and body["errorType"] == kind and body["error"]


def test_promql_arithmetic_and_matching(social_network: Any) -> None:
    running, _ = social_network
    ratio = vector(
        running,
        "sum by (pod) (container_memory_working_set_bytes) / on(pod) "
        "group_left sum by (pod) (container_memory_working_set_bytes)",
    )
    assert ratio and all(abs(v - 1) < 1e-9 for _, v in ratio)
    assert (
        vector(running, 'count(kube_pod_status_phase{phase="Running"} == 1) > bool 20')[0][1] == 1.0
    )
    scalar = prom(running, "/api/v1/query", query="1 + 2 * 3")["data"]
    assert scalar["resultType"] == "scalar" and scalar["result"][1] == "7"


def test_offset_moves_the_rate_window(social_network: Any) -> None:
    running, _ = social_network
    query = 'sum(rate(container_cpu_usage_seconds_total{namespace="test-social-network"}[2m]'
    now = vector(running, query + "))")[0][1]
    earlier = vector(running, query + " offset 10m))")[0][1]
    assert now > 0 and abs(earlier / now - 1) < 0.5  # a steady cluster: similar, positive
