"""Probes that misjudge a healthy program: a liveness probe that kills a slow starter, and a
readiness probe on a port nothing serves. The finding blames the pod spec, not the program,
and the probe fix (room to start, the served port) heals the app."""

from __future__ import annotations

from typing import Any

from agents.rules import RulesAgent
from tests.agents.analyzers.approved_fixes import apply_and_judge, judged
from trainer.sim_target import target_for


def test_a_liveness_probe_that_kills_a_slow_starter_is_given_room(scenario_cluster: Any) -> None:
    running, kubectl = scenario_cluster("liveness_probe_astronomy_kafka")
    trajectory = RulesAgent(target_for(running)).investigate()
    found = trajectory.finding
    assert found.faulty_components == ["kafka"]
    assert (found.system_level, found.fault_type) == ("Virtualization", "Misconfiguration")
    assert judged(running, found, "analysis")
    assert [a.command[1:3] for a in found.proposed_actions] == [["patch", "deployment/kafka"]]
    score = apply_and_judge(running, found)
    assert score.success and score.verified, score.detail
    probe = kubectl.json("get", "deployment", "kafka")["spec"]["template"]["spec"]["containers"][0]
    assert probe["livenessProbe"]["initialDelaySeconds"] >= 30


def test_a_readiness_probe_on_the_wrong_port_is_pointed_at_the_served_one(
    scenario_cluster: Any,
) -> None:
    running, kubectl = scenario_cluster("readiness_probe_astronomy_currency")
    found = RulesAgent(target_for(running)).investigate().finding
    assert found.faulty_components == ["currency"]
    assert judged(running, found, "analysis")
    score = apply_and_judge(running, found)
    assert score.success and score.verified, score.detail
    spec = kubectl.json("get", "deployment", "currency")["spec"]["template"]["spec"]
    assert spec["containers"][0]["readinessProbe"]["tcpSocket"]["port"] == 8080


def test_probe_failures_while_pods_started_are_no_fault(scenario_cluster: Any) -> None:
    # A healthy shop's events still hold the Unhealthy warnings of its start (grafana,
    # otel-collector): probes that failed until the program listened blame nothing.
    running, _ = scenario_cluster("noop_detection_astronomy_shop-1")
    trajectory = RulesAgent(target_for(running)).investigate()
    assert not [
        s
        for s in trajectory.iterations[-1].signals
        if s.analyzer in ("readiness_probe_port", "liveness_probe_kills")
    ]
