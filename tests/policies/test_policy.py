"""The policy file: its schema, its errors, approval rules, channel namespaces, audit lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from policies import Policy, PolicyError, classify_command, default_policy, load_policy
from policies.audit import AuditEvent

RESTART = ["kubectl", "rollout", "restart", "deploy/geo", "-n", "test-hotel-reservation"]


def test_default_policy_documents_itself() -> None:
    policy = default_policy()
    assert "kube-system" in policy.protected_namespaces
    assert policy.approvals.expiry_minutes == 30
    assert policy.limits.max_pods_deleted == 3


def test_channels_limit_the_namespaces_a_write_may_touch(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(
        "channels:\n  C0HOTEL: {namespaces: [test-hotel-reservation]}\n  '*': {namespaces: []}\n"
    )
    policy = load_policy(path)
    assert classify_command(RESTART, "executor", policy, "C0HOTEL").decision == "needs_approval"
    other = classify_command(RESTART, "executor", policy, "C0SOCIAL")
    assert other.decision == "deny" and "channel C0SOCIAL" in other.reason


def test_contexts_are_named_by_policy(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("contexts: [sim-reader]\n")
    argv = ["kubectl", "--context", "sim-reader", "get", "pods"]
    assert classify_command(argv, "probe", load_policy(path)).decision == "allow"
    assert classify_command(argv, "probe").decision == "deny"


def test_approvers_and_self_approval() -> None:
    policy = default_policy()
    assert policy.may_approve("rollout", "U1", {"S0ONCALL"}, "U2") == (True, "allowed by policy")
    own = policy.may_approve("rollout", "U1", {"S0ONCALL"}, "U1")
    assert own[0] is False and "their own" in own[1]
    assert policy.may_approve("drain", "U1", {"S0ONCALL"}, "U2")[0] is False
    assert policy.may_approve("drain", "U1", {"S0PLATFORM"}, "U2")[0] is True


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("limits: {max_replicas: -1}\n", "limits.max_replicas"),
        ("protected_namespace: [x]\n", "protected_namespace: Extra inputs"),
        ("channels: [\n", "not YAML"),
    ],
)
def test_bad_policy_files_say_what_is_wrong(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    with pytest.raises(PolicyError, match=message.replace("[", r"\[")):
        load_policy(path)


def test_audit_lines_are_json_and_redacted() -> None:
    event = AuditEvent(
        actor="U1",
        action="decision",
        command=["kubectl", "get", "pods", "--token=abcdefghijklmnopqrstuvwxyz"],
        role="probe",
        decision="deny",
        reason="--token changes kubectl's identity or cluster",
    )
    line = event.to_json_line()
    assert line.endswith("\n") and "abcdefghijklmnop" not in line
    record = json.loads(line)
    assert record["command"][3] == "--token=[REDACTED:credential]"
    assert record["decision"] == "deny" and record["time"].endswith("Z")


def test_volume_reclaim_is_its_own_class_and_a_policy_can_turn_it_off() -> None:
    reclaim = '[{"op":"remove","path":"/spec/claimRef"}]'
    argv = ["kubectl", "patch", "pv", "geo-pv", "-n", "test-hotel-reservation"]
    argv += ["--type", "json", "-p", reclaim]
    policy = default_policy()
    decided = classify_command(argv, "executor", policy)
    assert decided.decision == "needs_approval" and decided.action_class == "reclaim_volume"
    off = policy.model_copy(
        update={"executor": policy.executor.model_copy(update={"allow_volume_reclaim": False})}
    )
    decided = classify_command(argv, "executor", off)
    assert decided.decision == "deny" and "allow_volume_reclaim" in decided.reason
    assert Policy().executor.allow_volume_reclaim is False  # off unless a policy says so
