"""One tool call as the trajectory keeps it, and the output cap that tells the model what was
cut rather than silently truncating."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_CAP = 12_000  # characters of output a model sees from one call


class ToolCall(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tool: str  # kubectl | metrics | traces
    request: list[str]  # the argv, or [query name, parameters...]
    role: str
    decision: str  # allow | needs_approval | deny (the policy's word, for kubectl)
    reason: str = ""
    ran: bool = False
    exit_code: int | None = None
    output: str = ""  # redacted, capped: what the model may see
    raw: str = Field("", repr=False)  # redacted, whole: what analyzers parse and storage keeps
    cut: int = 0  # characters cut by the cap
    redacted: int = 0  # secrets masked
    seconds: float = 0.0
    started: datetime = Field(default_factory=lambda: datetime.now(UTC))
    # How a kubectl call ran: the binary, or the same read through the Kubernetes API client
    # (tools.kube_api); the request is the command either way.
    transport: Literal["process", "api"] = "process"

    @property
    def ok(self) -> bool:
        return self.ran and self.exit_code == 0


def cap(text: str, limit: int = DEFAULT_CAP) -> tuple[str, int]:
    """(text within `limit` characters, how many were cut). Keeps the head and the tail, where
    the newest log lines and the summary rows are, and says what was cut and how to narrow."""
    if len(text) <= limit:
        return text, 0
    head = text[: limit * 2 // 3]
    tail = text[-(limit - len(head)) :]
    cut = len(text) - len(head) - len(tail)
    note = (
        f"\n[... {cut} characters cut here; narrow the command (--tail, -l, -o name, "
        "a namespace) to see them ...]\n"
    )
    return head + note + tail, cut


def finish(call: ToolCall, text: str, code: int, started: float, limit: int) -> ToolCall:
    """Record what a call returned: the whole (redacted) text, the capped view, its status and
    how long it took (`started` from time.monotonic())."""
    call.raw = text
    call.output, call.cut = cap(text, limit)
    call.ran, call.exit_code = True, code
    call.seconds = round(time.monotonic() - started, 3)
    return call
