"""Writes happen only through an approval record the policy allowed, after a dry run."""

from __future__ import annotations

from typing import Any

import pytest

from agents.approval import ApprovalError, ApprovalRecord, approve
from agents.executor import Executor
from agents.rules import RulesAgent
from aoi.sim_target import target_for


def test_records_come_only_from_the_approval_flow() -> None:
    with pytest.raises(ApprovalError):
        ApprovalRecord(("kubectl",), "patch", "U1", None, expires=None)  # type: ignore[arg-type]
    argv = ["kubectl", "rollout", "restart", "deploy/geo", "-n", "test-hotel-reservation"]
    with pytest.raises(ApprovalError, match="their own"):
        approve(argv, "U1", {"S0ONCALL"}, requester="U1")
    with pytest.raises(ApprovalError, match="not an approver"):
        approve(argv, "U1", {"S0SOMEONE"}, requester="U2")
    with pytest.raises(ApprovalError, match="nothing to approve"):
        approve(["kubectl", "delete", "ns", "x"], "U1", {"S0ONCALL"}, requester="U2")
    record = approve(argv, "U1", {"S0ONCALL"}, requester="U2")
    assert record.covers(argv) and not record.covers([*argv, "--force"])


def test_the_finding_fix_applied_with_an_approval_heals(scenario_cluster: Any) -> None:
    running, _ = scenario_cluster("k8s_target_port-misconfig-3")
    target = target_for(running)
    found = RulesAgent(target).investigate().finding
    assert found is not None and found.proposed_actions
    executor = Executor(target)
    unapproved = executor.kubectl.run_approved(found.proposed_actions[0].command, object())
    assert not unapproved.ran and "no approval" in unapproved.reason
    for action in found.proposed_actions:
        record = approve(action.command, "U1", {"S0ONCALL"}, requester="aoi")
        done = executor.execute(record)
        assert done.applied and "patched" in done.dry_run, done.output
    running.cluster.advance(60)
    score = running.score("mitigation", None)
    assert score.success and score.verified, score.detail
