"""Writes happen only through an approval record the policy allowed, after a dry run."""

from __future__ import annotations

from typing import Any

import pytest

from agents.approval import ApprovalError, ApprovalRecord, approve
from agents.executor import Executor
from agents.models import Execution
from agents.rules import RulesAgent
from trainer.sim_target import target_for


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


def test_after_applying_the_executor_reads_whether_it_took(scenario_cluster: Any) -> None:
    running, _ = scenario_cluster("scale_pod_zero_social_net-1")
    target = target_for(running)
    executor = Executor(target)
    scale = [
        "kubectl", "scale", "deployment/user-service", "--current-replicas=0", "--replicas=1",
        "-n", running.namespace,
    ]  # fmt: skip
    unapplied = executor.verify(Execution(command=scale))
    assert unapplied.verified is False and unapplied.verification == "not applied"
    done = executor.execute(approve(scale, "U1", {"S0ONCALL"}, requester="aoi"))
    assert done.applied, done.output
    running.cluster.advance(60)  # this test's cluster keeps a fixed clock
    executor.verify(done, timeout_s=30)
    assert done.verified is True and "deployment/user-service rolled out" in done.verification
    assert all(c.role == "probe" for c in executor.reader.calls)  # reads, as the reader
    # A Service with no pod behind it has no ready endpoints: not verified, and why.
    patch = [
        "kubectl", "patch", "service", "user-service", "-n", running.namespace, "-p",
        '{"spec": {"selector": {"service": "nobody"}}}',
    ]  # fmt: skip
    broken = executor.execute(approve(patch, "U1", {"S0ONCALL"}, requester="aoi"))
    assert broken.applied, broken.output
    executor.verify(broken)
    assert broken.verified is False and "no ready endpoints" in broken.verification
    configmap = Execution(
        command=["kubectl", "patch", "configmap", "x", "-n", running.namespace, "-p", "{}"],
        applied=True,
    )
    assert executor.verify(configmap).verified is None
