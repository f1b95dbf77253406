"""The Jaeger query API: services, operations, trace search and lookup, in Jaeger's JSON."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sim.scenario import find_scenario
from sim.session import start_scenario
from sim.telemetry.jaeger import render
from sim.telemetry.traces import Trace, TraceBuilder
from tests.conftest import PRESENT
from tests.sim.telemetry.http import jaeger, spans


def _micros(moment: Any) -> int:
    return int(moment.timestamp() * 1_000_000)


def test_services_operations_and_envelope(social_network: Any) -> None:
    running, _ = social_network
    services = jaeger(running, "/api/services")
    assert services["errors"] is None and services["total"] == len(services["data"])
    assert {"nginx-web-server", "compose-post-service", "user-service"} <= set(services["data"])
    ops = jaeger(running, "/api/services/nginx-web-server/operations")["data"]
    assert "POST /wrk2-api/post/compose" in ops
    kinds = jaeger(running, "/api/operations", service="user-service")["data"]
    assert kinds == [{"name": "user_server", "spanKind": "server"}]


def test_trace_follows_the_call_graph_and_round_trips(social_network: Any) -> None:
    running, _ = social_network
    found = jaeger(
        running,
        "/api/traces",
        service="nginx-web-server",
        operation="POST /wrk2-api/post/compose",
        limit=2,
    )["data"]
    assert len(found) == 2
    trace = spans(found[0])
    ids = {s["id"] for s in trace}
    assert all(s["parent"] in ids for s in trace if s["parent"])  # one connected tree
    called = {s["service"] for s in trace if s["tags"]["span.kind"] == "server"}
    assert {"nginx-web-server", "compose-post-service", "text-service"} <= called
    assert not any(s["tags"].get("error") for s in trace)
    again = jaeger(running, f"/api/traces/{found[0]['traceID']}")["data"]
    assert again == [found[0]]


def test_error_spans_sit_at_the_failing_edge(scenario_cluster: Any) -> None:
    running, _ = scenario_cluster("revoke_auth_mongodb-1")
    failing = jaeger(
        running, "/api/traces", service="search", tags=json.dumps({"error": "true"}), limit=5
    )["data"]
    assert failing
    trace = spans(failing[0])
    edge = [s for s in trace if s["tags"]["span.kind"] == "client" and s["tags"].get("error")]
    assert any(s["service"] == "search" and s["tags"]["peer.service"] == "geo" for s in edge)
    root = next(s for s in trace if s["parent"] is None)
    assert root["service"] == "frontend" and root["tags"]["http.response.status_code"] == 500
    before = running.fault_time - timedelta(minutes=3)
    healthy = jaeger(
        running,
        "/api/traces",
        service="search",
        tags=json.dumps({"error": "true"}),
        start=_micros(before - timedelta(minutes=5)),
        end=_micros(before),
    )["data"]
    assert healthy == []


def test_min_duration_finds_the_delayed_requests(scenario_cluster: Any) -> None:
    running, _ = scenario_cluster("network_delay_hotel_res-1")
    during = running.fault_time + timedelta(seconds=50)
    slow = jaeger(
        running,
        "/api/traces",
        service="frontend",
        minDuration="1s",
        start=_micros(during - timedelta(seconds=40)),
        end=_micros(during),
    )["data"]
    assert slow
    for trace in slow:
        root = next(s for s in spans(trace) if s["parent"] is None)
        assert root["duration"] >= 1_000_000
        assert root["operation"] in ("HTTP POST /user", "HTTP POST /reservation")


def test_bad_requests_get_jaeger_errors(social_network: Any) -> None:
    running, _ = social_network
    missing = jaeger(running, "/api/traces")
    assert missing["http_status"] == 400 and missing["errors"][0]["code"] == 400
    unknown = jaeger(running, "/api/traces/" + "0" * 32)
    assert unknown["http_status"] == 404 and unknown["data"] is None
    bad = jaeger(running, "/api/traces", service="user-service", minDuration="soon")
    assert bad["http_status"] == 400


def test_database_call_errors_where_resolution_fails(scenario_cluster: Any) -> None:
    running, _ = scenario_cluster("dns_failure_hotel_geo_db")
    found = jaeger(
        running, "/api/traces", service="geo", tags=json.dumps({"error": "true"}), limit=3
    )["data"]
    assert found
    trace = spans(found[0])
    geo = next(s for s in trace if s["service"] == "geo" and s["tags"]["span.kind"] == "server")
    failing = [s for s in trace if s["parent"] == geo["id"]]
    assert failing and failing[0]["tags"]["peer.service"] == "mongodb-geo"
    assert failing[0]["tags"]["error"] is True
    callers = [s for s in trace if s["service"] == "search" and s["tags"].get("error")]
    assert callers  # the consequence shows in the caller's spans


def test_a_trace_is_rendered_once_and_a_rebuilt_one_anew(social_network: Any) -> None:
    """Searches reuse a built trace's JSON; a trace rebuilt under the same id (the newest
    window, while the world moves on) is rendered from its own spans."""
    running, _ = social_network
    builder = TraceBuilder(running.cluster.metrics.traffic)
    now = running.cluster.world.now
    trace = builder.build(running.namespace, builder.starts(now - timedelta(minutes=5), now)[-1])
    assert trace is not None
    first = render(trace)
    assert render(trace) is first and len(first["spans"]) == len(trace.spans) > 1
    rebuilt = Trace(trace.trace_id, trace.namespace, trace.spans[:1])
    assert len(render(rebuilt)["spans"]) == 1


def test_copies_of_a_snapshot_share_its_past_traces_and_not_their_own() -> None:
    """Two clusters copied from one snapshot answer the same past trace (one object, built
    once); what follows the snapshot's end is each copy's own."""
    scenario = find_scenario("revoke_auth_mongodb-1")
    with (
        start_scenario(scenario, present=PRESENT, serve=False) as one,
        start_scenario(scenario, present=PRESENT, serve=False) as two,
    ):
        builders = [TraceBuilder(r.cluster.metrics.traffic) for r in (one, two)]
        past = builders[0].starts(PRESENT - timedelta(minutes=3), PRESENT)[-1]
        first = builders[0].build(one.namespace, past)
        assert first is not None and builders[1].build(two.namespace, past) is first
        two.cluster.advance(120)
        later = builders[1].starts(PRESENT + timedelta(seconds=30), PRESENT + timedelta(seconds=60))
        own = builders[1].build(two.namespace, later[-1])
        assert own is not None and builders[0].build(one.namespace, later[-1]) is None
        assert TraceBuilder(two.cluster.metrics.traffic).build(two.namespace, later[-1]) is not own
