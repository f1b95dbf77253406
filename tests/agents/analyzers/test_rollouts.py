"""Rollouts and claims: a crash loop only the latest revision has, while the previous one
still serves, is a rollout that should not have gone out (an operation error, rolled back);
the same crash in every pod is the configuration (a misconfiguration). A claim of a
StorageClass that does not exist is a storage fault, undone by the revision before it."""

from __future__ import annotations

from typing import Any

import pytest

from agents.rules import RulesAgent
from tests.agents.analyzers.approved_fixes import apply_and_judge, judged
from trainer.sim_target import target_for


@pytest.mark.parametrize(
    ("scenario", "component", "level", "fault_type"),
    [
        ("bad_rollout_hotel_user", "user", "Application", "Operation Error"),
        ("bad_env_astronomy_cart", "cart", "Application", "Misconfiguration"),
        (
            "pvc_missing_storage_class_hotel_rate",
            "mongodb-rate",
            "Virtualization",
            "Network/Storage Issue",
        ),
    ],
)
def test_the_revision_before_heals(
    scenario_cluster: Any, scenario: str, component: str, level: str, fault_type: str
) -> None:
    running, _ = scenario_cluster(scenario)
    found = RulesAgent(target_for(running)).investigate().finding
    assert found.faulty_components == [component]
    assert (found.system_level, found.fault_type) == (level, fault_type)
    assert judged(running, found, "analysis")
    assert [a.command[1:4] for a in found.proposed_actions] == [
        ["rollout", "undo", f"deployment/{component}"]
    ]
    score = apply_and_judge(running, found)
    assert score.success and score.verified, score.detail


def test_the_missing_storage_class_is_named(scenario_cluster: Any) -> None:
    running, _ = scenario_cluster("pvc_missing_storage_class_hotel_geo")
    trajectory = RulesAgent(target_for(running)).investigate()
    signal = next(
        s for s in trajectory.iterations[-1].signals if s.analyzer == "storage_class_missing"
    )
    assert signal.component == "mongodb-geo"
    assert "geo-data" in signal.summary and "premium-rwo" in signal.summary
