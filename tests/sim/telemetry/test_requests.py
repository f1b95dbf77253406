"""Per-service request metrics (OpenTelemetry names) tell the same story as the logs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.sim.telemetry.http import by, prom, vector

ERROR_RATIO = (
    "sum by (http_route) (rate(http_server_request_duration_seconds_count"
    '{service="nginx-web-server", http_response_status_code=~"5.."}[2m]))'
    " / sum by (http_route) (rate(http_server_request_duration_seconds_count"
    '{service="nginx-web-server"}[2m]))'
)


def test_refused_dependency_fails_its_callers_requests(scenario_cluster: Any) -> None:
    running, _ = scenario_cluster("k8s_target_port-misconfig-1")
    before = (running.fault_time - timedelta(minutes=2)).timestamp()
    now = by(vector(running, ERROR_RATIO), "http_route")
    assert now["/wrk2-api/user/register"] == 1.0
    # A route that never failed has no 5xx series, so no ratio, as in Prometheus.
    assert "/wrk2-api/user-timeline/read" not in now
    assert set(by(vector(running, ERROR_RATIO, time=before), "http_route").values()) <= {0.0}
    # The Thrift callers report transport errors; user-service itself gets no requests.
    errors = vector(
        running,
        "sum by (service, error_type) (rate(rpc_server_duration_seconds_count"
        '{error_type="TTransportException"}[2m])) > 0',
    )
    assert {labels["service"] for labels, _ in errors} >= {
        "compose-post-service",
        "social-graph-service",
    }
    served = 'sum(rate(rpc_server_duration_seconds_count{service="user-service"}[1m]))'
    assert vector(running, served)[0][1] == 0.0
    assert vector(running, served, time=before)[0][1] > 1.0


def test_network_delay_shows_on_the_delayed_pod_and_its_callers_only(scenario_cluster: Any) -> None:
    running, _ = scenario_cluster("network_delay_hotel_res-1")
    during = (running.fault_time + timedelta(seconds=50)).timestamp()
    before = (running.fault_time - timedelta(minutes=2)).timestamp()
    p99 = (
        "histogram_quantile(0.99, sum by (http_route, le) "
        '(rate(http_server_request_duration_seconds_bucket{service="frontend"}[1m])))'
    )
    assert by(vector(running, p99, time=during), "http_route")["/user"] > 1.0
    assert max(by(vector(running, p99, time=before), "http_route").values()) < 0.1
    server = (
        "histogram_quantile(0.99, sum by (service, le) "
        "(rate(rpc_server_duration_seconds_bucket[1m])))"
    )
    latency = by(vector(running, server, time=during), "service")
    # netem delays every packet of the user pod, its database replies included.
    assert latency["user"] > 1.0
    assert latency["search"] < 0.1 and latency["geo"] < 0.1
    codes = vector(
        running,
        "sum by (http_response_status_code) (increase(http_server_request_duration_seconds_count"
        '{service="frontend", http_route="/user"}[1m]))',
        time=during,
    )
    assert by(codes, "http_response_status_code")["504"] > 0


def test_request_histograms_have_series_and_metadata(social_network: Any) -> None:
    running, _ = social_network
    metadata = prom(running, "/api/v1/metadata")["data"]
    assert metadata["http_server_request_duration_seconds"][0]["type"] == "histogram"
    assert metadata["rpc_server_duration_seconds"][0]["type"] == "histogram"
    series = prom(
        running,
        "/api/v1/series",
        **{"match[]": 'rpc_server_duration_seconds_count{service="text-service"}'},
    )["data"]
    assert series and all(s["rpc_system"] == "apache_thrift" for s in series)
    buckets = vector(
        running,
        'sum by (le) (http_server_request_duration_seconds_bucket{service="nginx-web-server"})',
    )
    counts = sorted(by(buckets, "le").items(), key=lambda item: float(item[0]))
    assert counts[-1][0] == "+Inf"
    assert [v for _, v in counts] == sorted(v for _, v in counts)  # cumulative buckets
    total = vector(
        running, 'sum(http_server_request_duration_seconds_count{service="nginx-web-server"})'
    )[0][1]
    assert abs(counts[-1][1] - total) < 1e-6 * total


def test_throttling_ratio_is_high_only_for_the_throttled_container(scenario_cluster: Any) -> None:
    running, _ = scenario_cluster("cpu_throttling_hotel_frontend")
    ratio = (
        "sum by (container) (increase(container_cpu_cfs_throttled_periods_total[3m]))"
        " / sum by (container) (increase(container_cpu_cfs_periods_total[3m]))"
    )
    throttled = by(vector(running, ratio), "container")
    assert throttled.pop("hotel-reserv-frontend") > 0.9
    assert max(throttled.values()) < 0.1
    before = (running.fault_time - timedelta(minutes=2)).timestamp()
    assert by(vector(running, ratio, time=before), "container")["hotel-reserv-frontend"] < 0.1


def test_one_refused_replica_of_three_fails_a_third_of_the_calls(scenario_cluster: Any) -> None:
    running, _ = scenario_cluster("db_connections_exhausted_social_post_storage")
    share = (
        "sum(rate(rpc_server_duration_seconds_count"
        '{service="compose-post-service", error_type!=""}[1m]))'
        ' / sum(rate(rpc_server_duration_seconds_count{service="compose-post-service"}[1m]))'
    )
    assert 0.25 < vector(running, share)[0][1] < 0.75
