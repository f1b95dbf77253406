"""The unit of training: one Observer decision point. A GRPO prompt is the Observer's view
at that point, rebuilt as the Observer saw it (the alert, its own earlier summaries, the
compressed context; never raw output), and the row carries the ground truth the rewards
score a completion against: the scenario's labels for `sim` runs; for Slack threads, the
fix that was approved and verified and any correction a person wrote.

This module is the contract between the dataset builder (trainer/datasets/), the rewards
(trainer/rewards/) and the GRPO runner: a row is `DecisionPoint.as_row()`, and TRL hands
each column to every reward function as a keyword argument of the same name."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agents.observer import OBSERVER_PROMPT, ObserverView

Action = Literal["probe", "executor", "submit"]
Source = Literal["eval", "slack"]


class DecisionPoint(BaseModel):
    """One prompt and its ground truth."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # What the Observer saw (the prompt is rendered from it, exactly as at inference).
    view: dict[str, Any]  # ObserverView's fields
    # Where it comes from.
    source: Source
    trajectory_id: str
    iteration: int  # the Observer iteration (1-based) this point is
    scenario: str = ""  # sim scenario id ("" for Slack)
    family: str = ""  # fault family: the split never puts one family on both sides
    task: str = ""  # detection | localization | analysis | mitigation ("" for Slack)
    namespace: str = ""
    # Ground truth.
    reference_action: Action = "submit"  # what a good Observer does next here
    reference_targets: list[str] = Field(default_factory=list)  # what its next step names
    detected: bool | None = None  # None: unknown (a Slack thread nobody labelled)
    faulty_components: list[str] = Field(default_factory=list)
    aliases: dict[str, list[str]] = Field(default_factory=dict)  # also-correct names
    system_level: str | None = None
    fault_type: str | None = None
    fixes: list[str] = Field(default_factory=list)  # approved, applied and verified commands
    correction: str = ""  # what a person said was wrong

    def prompt(self) -> list[dict[str, str]]:
        """The chat messages the Observer gets (TRL's conversational format)."""
        view = ObserverView(**self.view)
        return [
            {"role": "system", "content": OBSERVER_PROMPT},
            {"role": "user", "content": view.render()},
        ]

    def as_row(self) -> dict[str, Any]:
        """A dataset row: `prompt` plus every ground-truth column (dicts as JSON text, since
        Arrow wants one type per column)."""
        row = self.model_dump(exclude={"view", "aliases"})
        row["prompt"] = self.prompt()
        row["view_json"] = json.dumps(self.view, sort_keys=True)
        row["aliases_json"] = json.dumps(self.aliases, sort_keys=True)
        return row


ROW_COLUMNS = (
    "prompt",
    "view_json",
    "source",
    "trajectory_id",
    "iteration",
    "scenario",
    "family",
    "task",
    "namespace",
    "reference_action",
    "reference_targets",
    "detected",
    "faulty_components",
    "aliases_json",
    "system_level",
    "fault_type",
    "fixes",
    "correction",
)
