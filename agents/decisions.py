"""What each model-backed role must answer, as pydantic models whose JSON schema is the
response format (vLLM's guided decoding holds the model to it). Lengths and counts are
bounded in the schema itself: a small model that loops inside a string is stopped by the
grammar, not by max_tokens, and a large one cannot flood the context."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

SystemLevel = Literal["Hardware", "Operating System", "Virtualization", "Application"]
FaultType = Literal[
    "Misconfiguration",
    "Code Defect",
    "Authentication Issue",
    "Network/Storage Issue",
    "Operation Error",
    "Dependency Problem",
]
# The paper's phases: where the Observer thinks the investigation stands.
Phase = Literal[
    "surface_scan",
    "point_investigation",
    "depth_analysis",
    "verification",
    "ready_to_fix",
    "ready_to_submit",
]
Sentence = Annotated[str, StringConstraints(max_length=300)]
Name = Annotated[str, StringConstraints(max_length=80)]
CommandLine = Annotated[str, StringConstraints(min_length=1, max_length=300)]


class _Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Submission(_Decision):
    """The Observer's answer. Evidence is not the model's to write: the investigation attaches
    what the tools actually showed."""

    detected: bool
    faulty_components: list[Name] = Field(default_factory=list, max_length=5)
    system_level: SystemLevel | None = None
    fault_type: FaultType | None = None
    root_cause: Sentence = ""
    fixes: list[CommandLine] = Field(
        default_factory=list, max_length=3, description="kubectl write commands, one per line"
    )


class ProbeStep(_Decision):
    action: Literal["probe"]
    instruction: Sentence = Field(description="What the Probe should look at.")
    context: Sentence = Field("", description="What it needs to know to do it.")


class ExecutorStep(_Decision):
    action: Literal["executor"]
    instruction: Sentence = Field(description="The fix strategy for the Executor.")
    context: Sentence = Field("", description="The objects and facts the fix depends on.")


class SubmitStep(_Decision):
    action: Literal["submit"]
    submission: Submission


# A union on `action`: the grammar itself makes a submit carry its submission.
NextStep = Annotated[ProbeStep | ExecutorStep | SubmitStep, Field(discriminator="action")]


class ObserverDecision(_Decision):
    """One Observer step."""

    summary: Sentence = Field(description="What the last iteration showed (kept as memory).")
    phase: Phase
    hypothesis: Sentence = Field(description="The current root-cause hypothesis.")
    confidence: int = Field(ge=0, le=100)
    next_action: NextStep


class ProbePlan(_Decision):
    """Up to three read commands: `kubectl ...`, `metrics NAME`, `promql EXPR`,
    `traces SERVICE`."""

    commands: list[CommandLine] = Field(min_length=1, max_length=3)


class ExecutorPlan(_Decision):
    """The concrete write commands for a fix strategy, and why they fix it."""

    commands: list[CommandLine] = Field(min_length=1, max_length=3)
    rationale: Sentence = ""
