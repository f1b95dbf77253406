"""A redeploy that left the app's Retain volumes Released: the claims' namesakes are freed
one approved patch each, and the Executor touches no volume that is not Released or that
belonged to another namespace."""

from __future__ import annotations

from typing import Any

from agents.approval import approve
from agents.executor import Executor
from agents.rules import RulesAgent
from trainer.sim_target import target_for

RECLAIM = '[{"op":"remove","path":"/spec/claimRef"}]'


def test_released_volumes_are_reclaimed_and_the_app_heals(scenario_cluster: Any) -> None:
    running, kubectl = scenario_cluster("redeploy_without_PV-1")
    target = target_for(running)
    found = RulesAgent(target).investigate().finding
    assert found is not None and found.detected
    assert (found.system_level, found.fault_type) == ("Virtualization", "Operation Error")
    released = {
        pv["metadata"]["name"]
        for pv in kubectl.json("get", "pv")["items"]
        if pv["status"]["phase"] == "Released"
    }
    patched = {a.command[3] for a in found.proposed_actions if a.command[1:3] == ["patch", "pv"]}
    assert released and patched == released
    executor = Executor(target)
    for action in found.proposed_actions:
        done = executor.execute(approve(action.command, "U1", {"S0ONCALL"}, "aoi"))
        assert done.applied, done.output
    running.cluster.advance(330)
    score = running.score("mitigation", None)
    assert score.success and score.verified, score.detail


def test_the_executor_leaves_a_bound_volume_alone(scenario_cluster: Any) -> None:
    running, kubectl = scenario_cluster("noop_detection_hotel_reservation-1")
    argv = ["kubectl", "patch", "pv", "geo-pv", "-n", running.namespace, "--type", "json"]
    done = Executor(target_for(running)).execute(
        approve([*argv, "-p", RECLAIM], "U1", {"S0ONCALL"}, "aoi")
    )
    assert not done.applied and "is Bound, not Released" in done.output
    assert kubectl.json("get", "pv", "geo-pv")["spec"]["claimRef"]["name"] == "geo-pvc"
