"""What an investigation produces and keeps, as versioned pydantic models serialised to JSON
lines: the Observer's decisions, the tools' calls, the analyzers' signals, the finding, and the
whole trajectory with its approvals, executions, feedback and outcome."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agents.decisions import FaultType, ObserverDecision, SystemLevel
from agents.tools.record import ToolCall

SCHEMA_VERSION = 1


def _now() -> datetime:
    return datetime.now(UTC)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Evidence(_Model):
    summary: str
    source: list[str] = Field(default_factory=list)  # the tool request that showed it
    excerpt: str = ""


class RunbookRef(_Model):
    """The operator's script a `kubectl exec POD -- bash PATH` runs: the ConfigMap key it is
    mounted from, and that ConfigMap's identity and version when the fix was proposed (any
    later edit changes the version, and the Executor then refuses to run it)."""

    configmap: str
    key: str
    uid: str
    resource_version: str


class ProposedAction(_Model):
    command: list[str]
    rationale: str
    action_class: str | None = None
    # For `kubectl apply -f`: the manifest the Executor writes at that path (its name is the
    # content's sha256), so the approval covers exactly what gets applied.
    manifest: str | None = None
    # For `kubectl exec ... -- bash PATH`: the runbook script PATH must be, unchanged.
    runbook: RunbookRef | None = None


class Signal(_Model):
    """An analyzer's observation, ranked by how strongly it points at a fault, with what it
    implies (level, type) and the fix it suggests, if any."""

    analyzer: str
    score: float = Field(ge=0, le=1)
    component: str | None = None
    summary: str
    evidence: list[str] = Field(default_factory=list)
    system_level: SystemLevel | None = None
    fault_type: FaultType | None = None
    fixes: list[ProposedAction] = Field(default_factory=list)


class Finding(_Model):
    detected: bool
    faulty_components: list[str] = Field(default_factory=list)
    system_level: SystemLevel | None = None
    fault_type: FaultType | None = None
    root_cause: str = ""
    evidence: list[Evidence] = Field(default_factory=list)
    confidence: float = Field(0.0, ge=0, le=1)
    proposed_actions: list[ProposedAction] = Field(default_factory=list)


class Iteration(_Model):
    index: int
    decision: ObserverDecision | None = None
    calls: list[ToolCall] = Field(default_factory=list)
    compressed: str = ""
    signals: list[Signal] = Field(default_factory=list)
    tokens: int = 0
    seconds: float = 0.0


class Approval(_Model):
    approver: str
    command: list[str]
    action_class: str
    approved: bool
    reason: str = ""
    time: datetime = Field(default_factory=_now)


class Execution(_Model):
    command: list[str]
    dry_run: str = ""
    output: str = ""
    applied: bool = False
    verified: bool | None = None
    verification: str = ""  # what the reads after applying showed
    time: datetime = Field(default_factory=_now)


class Feedback(_Model):
    user: str
    kind: Literal["thumbs_up", "thumbs_down", "correction", "rejection"]
    text: str = ""
    time: datetime = Field(default_factory=_now)


class Trajectory(_Model):
    """One investigation from alert to outcome: what training and evaluation read."""

    version: int = SCHEMA_VERSION
    id: str
    agent: str  # rules | llm
    alert: dict[str, Any] | str | None = None
    target: dict[str, str | None] = Field(default_factory=dict)  # URLs and names, no secrets
    started: datetime = Field(default_factory=_now)
    ended: datetime | None = None
    iterations: list[Iteration] = Field(default_factory=list)
    finding: Finding | None = None
    approvals: list[Approval] = Field(default_factory=list)
    executions: list[Execution] = Field(default_factory=list)
    feedback: list[Feedback] = Field(default_factory=list)
    outcome: Literal["open", "resolved", "rejected", "failed", "unknown"] = "open"
    tokens: int = 0
    notes: list[str] = Field(default_factory=list)  # what went wrong in the loop itself

    @property
    def steps(self) -> int:
        return sum(len(i.calls) for i in self.iterations)

    @property
    def seconds(self) -> float:
        end = self.ended or _now()
        return (end - self.started).total_seconds()

    def to_json_line(self) -> str:
        return self.model_dump_json() + "\n"

    @classmethod
    def from_json_line(cls, line: str) -> Trajectory:
        return cls.model_validate_json(line)
