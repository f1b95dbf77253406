"""The rules agent end to end on served scenarios: the finding, and that it only ever read."""

from __future__ import annotations

from typing import Any

import pytest

from agents.rules import RulesAgent
from trainer.sim_target import target_for


def _investigate(running: Any) -> Any:
    return RulesAgent(target_for(running)).investigate("an alert")


@pytest.mark.parametrize(
    ("scenario", "component", "level"),
    [
        ("k8s_target_port-misconfig-2", "text-service", "Virtualization"),
        ("revoke_auth_mongodb-2", "mongodb-rate", "Application"),
        ("scale_pod_zero_social_net-1", "user-service", "Virtualization"),
        ("wrong_bin_usage-1", "profile", "Application"),
    ],
)
def test_finding_names_the_fault(
    scenario_cluster: Any, scenario: str, component: str, level: str
) -> None:
    running, _ = scenario_cluster(scenario)
    trajectory = _investigate(running)
    found = trajectory.finding
    assert found.detected and found.faulty_components == [component]
    assert found.system_level == level
    for task, submission in (
        ("localization", found.faulty_components),
        ("analysis", {"system_level": found.system_level, "fault_type": found.fault_type}),
    ):
        assert running.score(task, submission).success, task


def test_a_healthy_cluster_is_healthy_and_every_call_was_a_read(social_network: Any) -> None:
    running, _ = social_network
    trajectory = _investigate(running)
    assert trajectory.finding.detected is False
    calls = [c for i in trajectory.iterations for c in i.calls]
    logs = [c for c in calls if c.tool == "kubectl" and c.request[1] == "logs"]
    assert len(calls) > 10 and logs and all(c.ok for c in logs)
    assert all(c.role == "probe" and c.decision == "allow" for c in calls)
    assert not [c for c in calls if c.tool == "kubectl" and c.request[1] not in ("get", "logs")]
    again = type(trajectory).from_json_line(trajectory.to_json_line())
    assert again.finding == trajectory.finding


def test_the_surface_scan_is_two_reads_or_falls_back_kind_by_kind(
    scenario_cluster: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from agents import rules
    from agents.analyzers import Observations
    from agents.tools import kube_api

    # Kinds the client can address that this cluster does not serve: its 404s fail the reads.
    for kind in ("nosuchchaos", "nosuchkind"):
        monkeypatch.setitem(kube_api.RESOURCES, kind, kube_api.Resource("example.com/v1", kind))
    running, _ = scenario_cluster("dns_failure_hotel_geo_db")
    agent = RulesAgent(target_for(running))
    one, calls = Observations(agent.namespace), list[Any]()
    agent._surface(one, calls)
    reads = [c for c in calls if c.tool == "kubectl"]
    assert [c.request[2] for c in reads] == [",".join(rules.SURFACE), ",".join(rules.CHAOS_KINDS)]
    assert all(c.ok and c.transport == "api" for c in reads) and one.items("dnschaos")
    # A cluster without one of Chaos Mesh's kinds fails that read, as kubectl would...
    monkeypatch.setattr(rules, "CHAOS_KINDS", (*rules.CHAOS_KINDS, "nosuchchaos"))
    apart, calls = Observations(agent.namespace), list[Any]()
    agent._surface(apart, calls)
    assert [c.ok for c in calls if c.tool == "kubectl"] == [True, False]
    assert calls[1].raw == 'error: the server doesn\'t have a resource type "nosuchchaos"\n'
    assert apart.items("pods") == one.items("pods") and apart.items("dnschaos") == []
    # ...and one core kind it cannot list costs only that kind: the rest are read one by one.
    monkeypatch.setattr(rules, "SURFACE", ("pods", "nosuchkind", "services"))
    alone, calls = Observations(agent.namespace), list[Any]()
    agent._surface(alone, calls)
    assert [c.ok for c in calls if c.tool == "kubectl"] == [False, True, False, True, False]
    assert alone.items("pods") == one.items("pods") and alone.items("services")


def test_the_depth_step_reads_each_running_pods_logs_and_each_restart(
    scenario_cluster: Any,
) -> None:
    from agents.analyzers import Observations

    running, _ = scenario_cluster("revoke_auth_mongodb-1")
    agent = RulesAgent(target_for(running))
    obs = Observations(agent.namespace)
    agent._surface(obs, [])
    depth: list[Any] = []
    agent._depth(obs, depth)
    pods = [p for p in obs.items("pods") if p["status"].get("phase") in ("Running", "Failed")]
    assert list(obs.logs) == [p["metadata"]["name"] for p in pods] and len(pods) > 10
    logs = [c.request for c in depth if c.request[1] == "logs"]
    previous = [argv for argv in logs if "--previous" in argv]
    assert len(logs) == len(pods) + len(previous) and len(previous) >= 2
    assert all(c.ok and c.role == "probe" and c.decision == "allow" for c in depth)
    for argv in previous:  # the previous run's lines follow the current ones
        assert obs.logs[argv[2]].endswith(next(c.raw for c in depth if c.request == argv))
