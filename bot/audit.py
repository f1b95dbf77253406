"""The append-only audit log: every approval, rejection, execution, verification and
command decision, as `policies.audit.AuditEvent` JSON (redacted), in a Redis stream shared
by every replica (`aoi:audit`), and on the `aoi.audit` logger."""

from __future__ import annotations

import json
import logging

import redis.asyncio as aioredis

from agents.tools.record import ToolCall
from bot.redis_store import key
from policies.audit import AuditEvent

STREAM = key("audit")
log = logging.getLogger("aoi.audit")


class AuditLog:
    def __init__(self, redis: aioredis.Redis, max_events: int = 1_000_000) -> None:
        self.redis = redis
        self.max_events = max_events

    async def record(self, event: AuditEvent) -> None:
        line = event.to_json_line().strip()
        # Every Probe read is a decision: kept in the stream, logged only when debugging.
        log.log(logging.DEBUG if event.action == "decision" else logging.INFO, "%s", line)
        await self.redis.xadd(STREAM, {"event": line}, maxlen=self.max_events, approximate=True)

    async def record_calls(
        self, calls: list[ToolCall], *, incident: str, channel: str, thread: str, namespace: str
    ) -> None:
        """The policy's decision on each command an investigation's roles asked to run."""
        for call in calls:
            if call.tool != "kubectl":
                continue
            await self.record(
                AuditEvent(
                    actor=call.role,
                    action="decision",
                    command=call.request,
                    role=call.role,
                    namespace=namespace,
                    channel=channel,
                    thread=thread,
                    incident=incident,
                    decision=call.decision,
                    reason=call.reason,
                )
            )

    async def events(self, count: int = 1000) -> list[AuditEvent]:
        """The latest events, oldest first."""
        entries = await self.redis.xrevrange(STREAM, count=count)
        return [AuditEvent.model_validate(json.loads(f["event"])) for _, f in reversed(entries)]
