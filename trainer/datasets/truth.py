"""The ground truth a trajectory's decision points are scored against: a `sim` scenario's
labels for `aoi eval` runs; for Slack threads, what people confirmed (a thumbs-up or a
verified fix), the fixes that were applied and verified, and the last correction."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agents.models import Trajectory
from sim.scenario import Scenario
from trainer.decision_points import Source


class GroundTruth(BaseModel):
    """What is known to be right for one trajectory, whatever its decision points."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: Source
    scenario: str = ""
    family: str = ""
    task: str = ""
    detected: bool | None = None
    faulty_components: list[str] = Field(default_factory=list)
    aliases: dict[str, list[str]] = Field(default_factory=dict)
    system_level: str | None = None
    fault_type: str | None = None
    fixes: list[str] = Field(default_factory=list)
    correction: str = ""
    # Whether the investigation got it right, so its own steps may serve as references.
    succeeded: bool = False


def eval_truth(scenario: Scenario, record: Mapping[str, Any]) -> GroundTruth:
    """An `aoi eval` result record's truth: the scenario's labels, its task and family."""
    labels = scenario.labels
    return GroundTruth(
        source="eval",
        scenario=scenario.id,
        family=str(record["family"]),
        task=str(record["task"]),
        detected=labels.detected,
        faulty_components=list(labels.faulty_components),
        aliases={k: list(v) for k, v in labels.aliases.items()},
        system_level=labels.system_level,
        fault_type=labels.fault_type,
        succeeded=bool(record.get("success")),
    )


def thread_truth(trajectory: Trajectory) -> GroundTruth:
    """A Slack thread's truth. The finding counts as right only when people confirmed it
    (a thumbs-up, or a fix that was applied and verified) and nobody gave it a thumbs-down;
    otherwise the labels stay unknown, and the family is just "slack"."""
    kinds = {f.kind for f in trajectory.feedback}
    fixes = [" ".join(e.command) for e in trajectory.executions if e.applied and e.verified]
    corrections = [f.text for f in trajectory.feedback if f.kind == "correction" and f.text]
    finding = trajectory.finding
    confirmed = (
        finding is not None and ("thumbs_up" in kinds or bool(fixes)) and "thumbs_down" not in kinds
    )
    if finding is None or not confirmed:
        return GroundTruth(
            source="slack",
            family="slack",
            fixes=fixes,
            correction=corrections[-1] if corrections else "",
        )
    return GroundTruth(
        source="slack",
        family=finding.fault_type or "slack",
        detected=finding.detected,
        faulty_components=list(finding.faulty_components),
        system_level=finding.system_level,
        fault_type=finding.fault_type,
        fixes=fixes,
        correction=corrections[-1] if corrections else "",
        succeeded=True,
    )
