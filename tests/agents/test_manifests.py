"""An approved `kubectl apply -f` applies exactly the approved manifest: the Executor writes
it under the policy's manifest directory, named by its digest, and refuses a swapped file,
a kind a repair does not create, or settings that widen what the repair can reach."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agents import manifests
from agents.approval import ApprovalError, approve
from agents.executor import Executor
from policies import Policy, default_policy
from trainer.sim_target import target_for

NS = "test-hotel-reservation"
PING = "db.adminCommand('ping')"


def _policy(tmp_path: Path) -> Policy:
    policy = default_policy()
    return policy.model_copy(
        update={"executor": policy.executor.model_copy(update={"manifest_dir": str(tmp_path)})}
    )


def _job(**pod: Any) -> dict[str, Any]:
    spec = {
        "restartPolicy": "Never",
        "automountServiceAccountToken": False,
        "containers": [
            {
                "name": "ping",
                "image": "mongo:4.4.6",
                "command": ["mongo", "mongodb-geo:27017/admin", "--eval", PING],
            }
        ],
        **pod,
    }
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "aoi-ping-geo"},
        "spec": {"ttlSecondsAfterFinished": 60, "template": {"spec": spec}},
    }


def test_an_apply_is_approved_only_with_a_manifest_it_may_create(tmp_path: Path) -> None:
    policy = _policy(tmp_path)
    action = manifests.apply_action(_job(), NS, "check the database answers", str(tmp_path))
    assert action.manifest is not None and action.command[3].startswith(str(tmp_path))
    with pytest.raises(ApprovalError, match="together with the manifest"):
        approve(action.command, "U1", {"S0ONCALL"}, "aoi", policy)
    record = approve(action.command, "U1", {"S0ONCALL"}, "aoi", policy, manifest=action.manifest)
    assert record.manifest_sha256 == manifests.digest(action.manifest)
    assert record.covers(action.command, action.manifest)
    assert not record.covers(action.command, action.manifest.replace("ping", "shutdown"))
    assert not record.covers(action.command)
    widened = [
        _job(hostNetwork=True),
        _job(serviceAccountName="admin"),
        _job(volumes=[{"name": "s", "secret": {"secretName": "db"}}]),
        {**_job(), "kind": "ClusterRoleBinding", "apiVersion": "rbac.authorization.k8s.io/v1"},
    ]
    for obj in widened:
        bad = manifests.apply_action(obj, NS, "widened", str(tmp_path))
        with pytest.raises(ApprovalError, match="manifest refused"):
            approve(bad.command, "U1", {"S0ONCALL"}, "aoi", policy, manifest=bad.manifest)
    # Another namespace's object behind this namespace's command.
    other = manifests.render({**_job(), "metadata": {"name": "x", "namespace": "kube-system"}})
    command = ["kubectl", "apply", "-f", str(manifests.manifest_path(other, str(tmp_path)))]
    with pytest.raises(ApprovalError, match="namespace"):
        approve([*command, "-n", NS], "U1", {"S0ONCALL"}, "aoi", policy, manifest=other)


def test_the_executor_applies_the_approved_job_and_refuses_a_swapped_file(
    scenario_cluster: Any, tmp_path: Path
) -> None:
    running, kubectl = scenario_cluster("noop_detection_hotel_reservation-1")
    policy = _policy(tmp_path / "manifests")
    executor = Executor(target_for(running), policy)
    action = manifests.apply_action(_job(), NS, "ping", policy.executor.manifest_dir)
    assert action.manifest is not None
    record = approve(action.command, "U1", {"S0ONCALL"}, "aoi", policy, manifest=action.manifest)
    done = executor.execute(record)
    assert done.applied and "server dry run" in done.dry_run, done.output
    assert Path(action.command[3]).read_text() == action.manifest
    assert kubectl.json("get", "job", "aoi-ping-geo")["spec"]["ttlSecondsAfterFinished"] == 60

    # Someone rewrites the approved file: the last gate compares digests and refuses.
    second = manifests.apply_action(
        {**_job(), "metadata": {"name": "aoi-ping-geo-2"}}, NS, "ping", policy.executor.manifest_dir
    )
    assert second.manifest is not None
    again = approve(second.command, "U1", {"S0ONCALL"}, "aoi", policy, manifest=second.manifest)
    path = Path(second.command[3])
    path.parent.mkdir(parents=True, exist_ok=True)
    swapped = json.loads(second.manifest)
    swapped["spec"]["template"]["spec"]["containers"][0]["command"][-1] = "db.shutdownServer()"
    path.write_text(manifests.render(swapped))
    refused = executor.execute(again)
    assert not refused.applied and "other content" in refused.output
    call = executor.kubectl.run_approved(second.command, again)
    assert not call.ran and "no approval" in call.reason
    assert kubectl.run("get", "job", "aoi-ping-geo-2", check=False).returncode != 0
