"""A scenario started again at the same present is a copy of the first build: the same
cluster as a fresh simulation, and independent of what was done to an earlier copy."""

from __future__ import annotations

import json
from typing import Any

from sim import session
from sim.kube.resources import resource_for_kind
from sim.scenario import find_scenario
from sim.session import RunningScenario, start_scenario
from tests.conftest import PRESENT

SCENARIO = "k8s_target_port-misconfig-1"


def _pods(running: RunningScenario) -> list[Any]:
    store = running.cluster.world.store
    pods = store.iter(resource_for_kind("Pod"), running.namespace)
    return sorted(json.dumps(p, sort_keys=True, default=str) for p in pods)


def _alerts(running: RunningScenario) -> list[Any]:
    return [
        (a.rule.alert, sorted(a.labels.items()), a.state, a.active_at) for a in running.alerts()
    ]


def test_a_copy_is_the_fresh_build_and_owes_nothing_to_earlier_copies() -> None:
    session._SNAPSHOTS.clear()
    first = start_scenario(find_scenario(SCENARIO), present=PRESENT, serve=False)
    expected_pods, expected_alerts = _pods(first), _alerts(first)
    # Whatever is done to one copy stays in it.
    pods = resource_for_kind("Pod")
    for pod in list(first.cluster.world.store.iter(pods, first.namespace)):
        first.cluster.world.store.delete(pods, first.namespace, pod["metadata"]["name"])
    first.cluster.advance(600)
    assert _pods(first) != expected_pods
    assert len(session._SNAPSHOTS) == 1
    copy = start_scenario(find_scenario(SCENARIO), present=PRESENT, serve=False)
    assert copy.cluster is not first.cluster
    assert _pods(copy) == expected_pods and _alerts(copy) == expected_alerts
    # And the copy moves on as the original would have.
    session._SNAPSHOTS.clear()
    fresh = start_scenario(find_scenario(SCENARIO), present=PRESENT, serve=False)
    copy.cluster.advance(330)
    fresh.cluster.advance(330)
    assert _pods(copy) == _pods(fresh) and _alerts(copy) == _alerts(fresh)


QUERIES = (
    'sum by (pod) (rate(container_cpu_usage_seconds_total{namespace="test-social-network"}[5m]))',
    "sum by (service, rpc_method) (rate(rpc_server_duration_seconds_count[5m] offset 10m))",
    "sum by (service) (rate(http_server_request_duration_seconds_sum[2m]))",
    "histogram_quantile(0.99, sum by (service, le) (rate(rpc_server_duration_seconds_bucket[5m])))",
)


def _answers(running: RunningScenario) -> list[Any]:
    from sim.telemetry.promql import Evaluator

    now = running.cluster.world.now
    evaluator = Evaluator(running.cluster.metrics)
    return [repr(evaluator.instant(q, now)) for q in QUERIES]


def test_a_warmed_copy_answers_as_a_fresh_build_and_keeps_its_metrics_past() -> None:
    session._SNAPSHOTS.clear()
    scenario = find_scenario(SCENARIO)
    fresh = start_scenario(scenario, present=PRESENT, serve=False)
    expected = _answers(fresh)
    warmed = start_scenario(scenario, present=PRESENT, serve=False, warm=True)
    assert session._SNAPSHOTS[next(iter(session._SNAPSHOTS))][1] is True
    copy = start_scenario(scenario, present=PRESENT, serve=False)
    # The copy starts with the counters' past already summed.
    assert copy.cluster.metrics.requests._prefix and copy.cluster.metrics._prefix
    assert _answers(copy) == expected and _answers(warmed) == expected
    copy.cluster.advance(330)
    fresh.cluster.advance(330)
    assert _answers(copy) == _answers(fresh)
