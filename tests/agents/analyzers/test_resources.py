"""CPU throttling and what it is short of: a typo-sized limit is raised to what its siblings
get, an autoscaler pinned at maxReplicas gets a higher cap, and a surge of requests on an
ordinary limit is spread over more replicas. Each fix heals the app's latency."""

from __future__ import annotations

from typing import Any

import pytest

from agents.analyzers.resources import cpu_cores
from agents.rules import RulesAgent
from tests.agents.analyzers.approved_fixes import apply_and_judge, judged
from trainer.sim_target import target_for


@pytest.mark.parametrize(
    ("scenario", "component", "fault_type", "fix"),
    [
        ("cpu_throttling_hotel_frontend", "frontend", "Misconfiguration", ["set", "resources"]),
        ("hpa_maxed_out_hotel_frontend", "frontend", "Misconfiguration", ["patch", "hpa"]),
        ("traffic_surge_hotel_frontend", "frontend", "Operation Error", ["scale"]),
    ],
)
def test_throttling_is_explained_and_relieved(
    scenario_cluster: Any, scenario: str, component: str, fault_type: str, fix: list[str]
) -> None:
    running, _ = scenario_cluster(scenario)
    found = RulesAgent(target_for(running)).investigate().finding
    assert found.faulty_components == [component]
    assert (found.system_level, found.fault_type) == ("Virtualization", fault_type)
    assert judged(running, found, "analysis")
    assert found.proposed_actions[0].command[1 : 1 + len(fix)] == fix
    score = apply_and_judge(running, found)
    assert score.success and score.verified, score.detail


def test_a_tiny_limit_is_raised_to_what_the_siblings_get(scenario_cluster: Any) -> None:
    running, kubectl = scenario_cluster("noise_with_throttling_hotel")
    found = RulesAgent(target_for(running)).investigate().finding
    assert found.faulty_components == ["search"]
    assert "--limits=cpu=1000m" in found.proposed_actions[0].command
    score = apply_and_judge(running, found)
    assert score.success and score.verified, score.detail
    container = kubectl.json("get", "deployment", "search")["spec"]["template"]["spec"][
        "containers"
    ][0]
    assert cpu_cores(container["resources"]["limits"]["cpu"]) == 1.0


def test_cpu_quantities() -> None:
    assert cpu_cores("2m") == 0.002
    assert cpu_cores("1") == 1.0
    assert cpu_cores("1500m") == 1.5
    assert cpu_cores(None) is None
    assert cpu_cores("lots") is None
