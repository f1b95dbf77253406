"""The Executor's planning half: policy check, server-side dry run, two-stage recovery."""

from __future__ import annotations

import json
from typing import Any

from agents.decisions import ExecutorPlan
from agents.executor_plan import ExecutorPlanner
from agents.llm import LLMClient, LLMConfig
from tests.agents.llm.scripted_server import Script
from trainer.sim_target import target_for

NS = "test-social-network"
FIX = (
    f"kubectl patch service user-service -n {NS} --type json -p "
    """'[{"op": "replace", "path": "/spec/ports/0/targetPort", "value": 9090}]'"""
)


def test_a_failed_plan_is_recovered_by_correcting_then_by_another_method(
    scenario_cluster: Any, scripted: tuple[str, Script]
) -> None:
    running, kubectl = scenario_cluster("k8s_target_port-misconfig-1")
    url, script = scripted
    script.say(
        {"commands": [f"kubectl delete namespace {NS}"], "rationale": "start over"},
        {"commands": [f"kubectl patch service no-such-service -n {NS} -p '{{}}'"]},
        {"commands": [FIX], "rationale": "point the Service at the port user-service serves"},
    )
    planner = ExecutorPlanner(target_for(running), LLMClient(LLMConfig(base_url=url)))
    result = planner.propose("Fix user-service's targetPort", "pods listen on 9090")
    assert result.ok and [a.stage for a in result.attempts] == [0, 1, 2]
    assert "the policy refuses it" in result.attempts[0].errors[0]
    assert "dry run failed" in result.attempts[1].errors[0]
    assert 'services "no-such-service" not found' in result.attempts[1].errors[0]
    [proposal] = result.proposals
    assert proposal.command[:4] == ["kubectl", "patch", "service", "user-service"]
    assert proposal.action_class and "point the Service" in proposal.rationale
    stage_two = script.requests[2]["messages"][-1]["content"]
    assert "Use a different method" in stage_two and "no-such-service" in stage_two
    # Proposed, dry-run only: nothing changed on the cluster.
    svc = json.loads(kubectl.run("get", "service", "user-service", "-o", "json").stdout)
    assert svc["spec"]["ports"][0]["targetPort"] == 9999


def test_three_failures_go_back_to_the_observer_with_every_error(
    scenario_cluster: Any, scripted: tuple[str, Script]
) -> None:
    running, _ = scenario_cluster("k8s_target_port-misconfig-1")
    url, script = scripted
    for _ in range(3):
        script.say({"commands": ["kubectl get secret x"]})
    planner = ExecutorPlanner(target_for(running), LLMClient(LLMConfig(base_url=url)))
    result = planner.propose("read the secret", "")
    assert not result.ok and len(result.attempts) == 3
    assert all("refuses" in a.errors[0] for a in result.attempts)


def test_a_rollout_restart_has_no_dry_run_and_is_still_proposed(scenario_cluster: Any) -> None:
    running, _ = scenario_cluster("k8s_target_port-misconfig-1")
    planner = ExecutorPlanner(target_for(running), LLMClient(LLMConfig(base_url="http://x/v1")))
    plan = ExecutorPlan(commands=[f"kubectl rollout restart deployment/user-service -n {NS}"])
    attempt = planner.try_plan(0, plan)
    assert not attempt.errors and attempt.accepted == [plan.commands[0].split()]
