"""Run a finding's fixes as on-call would: each approved, then dry-run and applied by the
Executor; then let the emulated cluster run on and ask sim's mitigation judge."""

from __future__ import annotations

from typing import Any

from agents.approval import approve
from agents.executor import Executor
from agents.models import Finding
from trainer.sim_target import target_for


def apply_and_judge(running: Any, found: Finding) -> Any:
    """Every proposed fix must be approvable and must apply; returns the mitigation score."""
    assert found.proposed_actions, "the finding proposes no fix"
    executor = Executor(target_for(running))
    for action in found.proposed_actions:
        record = approve(action.command, "U1", {"S0ONCALL"}, "aoi", manifest=action.manifest)
        result = executor.execute(record)
        assert result.applied, (action.command, result.output)
    running.cluster.advance(330)
    return running.score("mitigation", None)


def judged(running: Any, found: Finding, task: str) -> bool:
    """sim's AIOpsLab scorer on the finding's localization or analysis answer."""
    submission: Any = (
        found.faulty_components
        if task == "localization"
        else {"system_level": found.system_level, "fault_type": found.fault_type}
    )
    return bool(running.score(task, submission).success)
