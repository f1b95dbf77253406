"""Feature flags as the cause: a flag served at other than its off variant, corroborated by
a flag-server restart or by services logging it, names the component its description names;
turning it off through the Executor heals. A flag on with nothing corroborating it is a
setting, not a fault."""

from __future__ import annotations

import json
from typing import Any

from agents.approval import approve
from agents.executor import Executor
from agents.rules import RulesAgent
from trainer.sim_target import target_for


def _flag_signals(trajectory: Any) -> list[Any]:
    return [s for s in trajectory.iterations[-1].signals if s.analyzer == "feature_flag_on"]


def test_a_queue_flag_is_found_and_turned_off(scenario_cluster: Any) -> None:
    running, kubectl = scenario_cluster("astronomy_shop_kafka_queue_problems-1")
    target = target_for(running)
    trajectory = RulesAgent(target).investigate()
    found = trajectory.finding
    assert found.detected and found.faulty_components == ["kafka"]
    assert "kafkaQueueProblems" in found.root_cause
    assert running.score("localization", found.faulty_components).success
    verbs = [a.command[1:4] for a in found.proposed_actions]
    assert verbs == [
        ["patch", "configmap", "flagd-config"],
        ["rollout", "restart", "deployment/flagd"],
    ]
    executor = Executor(target)
    for action in found.proposed_actions:
        assert executor.execute(approve(action.command, "U1", {"S0ONCALL"}, "aoi")).applied
    flags = json.loads(kubectl.json("get", "configmap", "flagd-config")["data"]["demo.flagd.json"])
    assert flags["flags"]["kafkaQueueProblems"]["defaultVariant"] == "off"
    running.cluster.advance(330)
    score = running.score("mitigation", None)
    assert score.success and score.verified, score.detail


def test_a_latency_flag_with_no_errors_is_still_detected(scenario_cluster: Any) -> None:
    running, _ = scenario_cluster("astronomy_shop_image_slow_load-1")
    found = RulesAgent(target_for(running)).investigate().finding
    assert found.detected and found.faulty_components == ["frontend"]
    assert running.score("localization", found.faulty_components).success


def test_a_flag_turned_on_without_a_restart_or_a_mention_is_no_fault(
    scenario_cluster: Any,
) -> None:
    running, kubectl = scenario_cluster("noop_detection_astronomy_shop-1")
    config = kubectl.json("get", "configmap", "flagd-config")["data"]["demo.flagd.json"]
    flags = json.loads(config)
    flags["flags"]["adFailure"]["defaultVariant"] = "on"
    patch = json.dumps({"data": {"demo.flagd.json": json.dumps(flags)}})
    kubectl.run("patch", "configmap", "flagd-config", "--type", "merge", "-p", patch, writer=True)
    trajectory = RulesAgent(target_for(running)).investigate()
    suspects = _flag_signals(trajectory)
    assert [s.component for s in suspects] == ["ad"]
    assert suspects[0].score < 0.6 and trajectory.finding.detected is False
