"""The audit record: one event per command decision, approval, rejection and execution,
written as one JSON line each by whoever acts (later issues' bot and executor). Redacted
before it is written, like everything AOI stores."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from policies.redaction import redact

Action = Literal["decision", "approval", "rejection", "execution", "verification"]


class AuditEvent(BaseModel):
    """Who did what, where, what was decided and why, and when."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    time: datetime = Field(default_factory=lambda: datetime.now(UTC))
    actor: str  # a Slack user ID, or an agent role ("probe", "executor")
    action: Action
    command: list[str] = Field(default_factory=list)
    role: str | None = None
    namespace: str | None = None
    channel: str | None = None
    thread: str | None = None
    incident: str | None = None
    decision: Literal["allow", "needs_approval", "deny", "approved", "rejected", "ok", "failed"]
    reason: str = ""

    def to_json_line(self) -> str:
        """One line of JSON, secrets in the command or reason masked."""
        event = self.model_copy(
            update={
                "command": [redact(part).text for part in self.command],
                "reason": redact(self.reason).text,
            }
        )
        return event.model_dump_json() + "\n"
