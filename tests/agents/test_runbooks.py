"""Database users repaired through the operators' runbooks: AOI proposes to run the one
script that gives back what is missing, pinned to the ConfigMap it saw; the Executor runs it
only with an approval for exactly that runbook, and only while the ConfigMap is unchanged,
still declared, and mounted where the command says."""

from __future__ import annotations

import json
from typing import Any

import pytest

from agents.approval import ApprovalError, approve
from agents.executor import Executor
from agents.models import ProposedAction, RunbookRef
from agents.rules import RulesAgent
from policies import default_policy
from trainer.sim_target import target_for

ONCALL = ("U1", {"S0ONCALL"})


def _fixes(scenario_cluster: Any, scenario: str) -> tuple[Any, Any, list[ProposedAction]]:
    running, kubectl = scenario_cluster(scenario)
    target = target_for(running)
    found = RulesAgent(target).investigate().finding
    assert found is not None
    return running, kubectl, found.proposed_actions


@pytest.mark.parametrize(
    ("scenario", "script", "client"),
    [
        ("revoke_auth_mongodb-2", "/scripts/revoke-mitigate-admin-rate-mongo.sh", "rate"),
        ("user_unregistered_mongodb-1", "/scripts/remove-mitigate-admin-geo-mongo.sh", "geo"),
    ],
)
def test_the_runbook_that_restores_what_is_missing_then_a_restart(
    scenario_cluster: Any, scenario: str, script: str, client: str
) -> None:
    running, _kubectl, fixes = _fixes(scenario_cluster, scenario)
    exec_fix, restart = fixes
    assert exec_fix.command[:2] == ["kubectl", "exec"] and exec_fix.command[-2:] == ["bash", script]
    assert exec_fix.runbook is not None and exec_fix.runbook.key == script.rsplit("/", 1)[1]
    assert restart.command[:4] == ["kubectl", "rollout", "restart", f"deployment/{client}"]
    # No credential travels in the proposal: the runbook holds it.
    assert "admin -p" not in json.dumps([f.model_dump(mode="json") for f in fixes])
    executor = Executor(target_for(running))
    done = [
        executor.execute(approve(fix.command, *ONCALL, requester="aoi", runbook=fix.runbook))
        for fix in fixes
    ]
    assert all(d.applied for d in done), [d.output for d in done]
    assert done[0].dry_run.startswith("(runbook checked: failure-admin-")
    running.cluster.advance(120)
    assert running.score("mitigation", None).success


def test_an_exec_is_approved_only_with_its_runbook(scenario_cluster: Any) -> None:
    _running, _kubectl, fixes = _fixes(scenario_cluster, "revoke_auth_mongodb-1")
    exec_fix, restart = fixes
    with pytest.raises(ApprovalError, match="together with the runbook"):
        approve(exec_fix.command, *ONCALL, requester="aoi")
    with pytest.raises(ApprovalError, match="together with the runbook"):
        approve(restart.command, *ONCALL, requester="aoi", runbook=exec_fix.runbook)
    undeclared = default_policy().model_copy(
        update={"executor": default_policy().executor.model_copy(update={"runbooks": {}})}
    )
    with pytest.raises(ApprovalError, match="no runbooks are declared"):
        approve(
            exec_fix.command, *ONCALL, requester="aoi", policy=undeclared, runbook=exec_fix.runbook
        )


def test_a_runbook_edited_after_the_proposal_is_not_run(scenario_cluster: Any) -> None:
    running, kubectl, fixes = _fixes(scenario_cluster, "revoke_auth_mongodb-1")
    exec_fix = fixes[0]
    record = approve(exec_fix.command, *ONCALL, requester="aoi", runbook=exec_fix.runbook)
    patch = json.dumps({"data": {"revoke-mitigate-admin-geo-mongo.sh": "echo changed"}})
    kubectl.run("patch", "configmap", "failure-admin-geo", "--type", "merge", "-p", patch,
                writer=True)  # fmt: skip
    done = Executor(target_for(running)).execute(record)
    assert not done.applied
    assert done.output == "refused: configmap failure-admin-geo changed since the fix was proposed"


def test_a_pin_that_is_not_the_file_the_command_runs_is_refused(scenario_cluster: Any) -> None:
    running, _kubectl, fixes = _fixes(scenario_cluster, "revoke_auth_mongodb-1")
    exec_fix = fixes[0]
    assert exec_fix.runbook is not None
    # The approval names a harmless key while the command runs another file.
    other = RunbookRef(**{**exec_fix.runbook.model_dump(), "key": "remove-admin-mongo.sh"})
    record = approve(exec_fix.command, *ONCALL, requester="aoi", runbook=other)
    done = Executor(target_for(running)).execute(record)
    assert not done.applied and "is not failure-admin-geo/remove-admin-mongo.sh" in done.output
    # And a mounted file that no declared runbook ConfigMap provides is refused too.
    init = RunbookRef(**{**exec_fix.runbook.model_dump(), "configmap": "mongo-geo-script"})
    record = approve(exec_fix.command, *ONCALL, requester="aoi", runbook=init)
    done = Executor(target_for(running)).execute(record)
    assert not done.applied
    assert "mongo-geo-script is not a runbook the policy declares" in done.output
