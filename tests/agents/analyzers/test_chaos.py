"""Chaos Mesh experiments: a DNSChaos is an operating-system network fault of the pods it
selects (their lookups fail), whatever their callers' logs blame."""

from __future__ import annotations

from typing import Any

from agents.rules import RulesAgent
from tests.agents.analyzers.approved_fixes import apply_and_judge, judged
from trainer.sim_target import target_for


def test_a_dns_chaos_is_a_network_fault_of_the_pods_it_selects(scenario_cluster: Any) -> None:
    running, _ = scenario_cluster("dns_failure_astronomy_payment")
    found = RulesAgent(target_for(running)).investigate().finding
    assert found.faulty_components == ["checkout"]
    assert (found.system_level, found.fault_type) == ("Operating System", "Network/Storage Issue")
    assert judged(running, found, "analysis")
    assert "payment" in found.root_cause


def test_ending_the_experiment_is_the_approved_fix_and_heals(scenario_cluster: Any) -> None:
    running, kubectl = scenario_cluster("dns_failure_hotel_geo_db")
    found = RulesAgent(target_for(running)).investigate().finding
    assert found is not None
    [fix] = found.proposed_actions
    assert fix.command[:3] == ["kubectl", "delete", "dnschaos"]
    score = apply_and_judge(running, found)
    assert score.success and score.verified, score.detail
    assert "NotFound" in kubectl.run("get", "dnschaos", fix.command[3], check=False).stderr
