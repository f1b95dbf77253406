"""Incidents: one per alert thread, kept in Redis so any replica (and a retried job) sees the
same state. An update is optimistic (WATCH/MULTI, retried on conflict), so a click, a
reaction and a worker can change one incident at the same moment without losing a write.

Keys: `aoi:incident:<id>` (the JSON), `aoi:thread:<channel>:<ts>` (a thread root or any of
the bot's messages -> incident id), `aoi:alert:<fingerprint>` (the open incident of an
alert, for the de-duplication window)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Literal

import redis.asyncio as aioredis
from pydantic import BaseModel, ConfigDict, Field
from redis.exceptions import WatchError

from agents.models import Execution, ProposedAction
from bot.alerts import Alert
from bot.redis_store import key

# Incidents and their thread index live a month (a thread's late 👎 still finds its
# trajectory); trajectories themselves are kept for training, without expiry.
KEEP_S = 30 * 24 * 3600
Status = Literal["investigating", "diagnosed", "failed", "resolved"]
ActionState = Literal["proposed", "running", "applied", "failed", "rejected"]


def _now() -> datetime:
    return datetime.now(UTC)


class FixCard(BaseModel):
    """One proposed fix as posted: its card, its dry run, and what became of it."""

    model_config = ConfigDict(extra="forbid")

    index: int
    action: ProposedAction
    dry_run: str = ""
    card_ts: str | None = None
    state: ActionState = "proposed"
    actor: str | None = None  # who approved or rejected it
    reason: str = ""
    execution: Execution | None = None


class Incident(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    channel: str
    thread_ts: str  # the alert's message: the thread everything is posted in
    alert: Alert
    status: Status = "investigating"
    trajectory_id: str
    progress_ts: str | None = None
    finding_ts: list[str] = Field(default_factory=list)
    fixes: list[FixCard] = Field(default_factory=list)
    repeats: int = 0  # the same alert again inside the window
    created: datetime = Field(default_factory=_now)
    updated: datetime = Field(default_factory=_now)

    @property
    def namespace(self) -> str | None:
        return self.alert.namespace

    @property
    def requester(self) -> str | None:
        return self.alert.requester


class IncidentNotFound(KeyError):
    """No incident with that id (or for that message)."""


class IncidentStore:
    def __init__(self, redis: aioredis.Redis) -> None:
        self.redis = redis

    @staticmethod
    def new(alert: Alert, channel: str, thread_ts: str) -> Incident:
        return Incident(
            id=f"inc-{secrets.token_hex(6)}",
            channel=channel,
            thread_ts=thread_ts,
            alert=alert,
            trajectory_id=secrets.token_hex(16),
        )

    async def claim(self, fingerprint: str, incident_id: str, window_s: int) -> str | None:
        """Make `incident_id` the alert's incident for the window: None when it now is, else
        the id of the incident the same alert opened first (a duplicate)."""
        name = key("alert", fingerprint)
        for _ in range(3):  # the first owner's key may expire between the two calls
            if await self.redis.set(name, incident_id, nx=True, ex=window_s):
                return None
            owner = await self.redis.get(name)
            if owner is not None:
                return str(owner)
        return None

    async def create(self, incident: Incident) -> None:
        await self.redis.set(key("incident", incident.id), incident.model_dump_json(), ex=KEEP_S)
        await self.index(incident.id, incident.channel, incident.thread_ts)

    async def repeated(self, incident_id: str) -> Incident | None:
        """Count one more arrival of the alert on its incident (None if it is not there yet:
        its first arrival is still being posted)."""
        try:
            return await self.update(incident_id, _repeat)
        except IncidentNotFound:
            return None

    async def get(self, incident_id: str) -> Incident:
        raw = await self.redis.get(key("incident", incident_id))
        if raw is None:
            raise IncidentNotFound(incident_id)
        return Incident.model_validate_json(raw)

    async def for_message(self, channel: str, ts: str) -> Incident | None:
        """The incident a message belongs to (its thread root or one of the bot's posts)."""
        found = await self.redis.get(key("thread", channel, ts))
        if found is None:
            return None
        try:
            return await self.get(found)
        except IncidentNotFound:
            return None

    async def for_alert(self, fingerprint: str) -> Incident | None:
        found = await self.redis.get(key("alert", fingerprint))
        if found is None:
            return None
        try:
            return await self.get(found)
        except IncidentNotFound:
            return None

    async def index(self, incident_id: str, channel: str, ts: str) -> None:
        """Remember that message `ts` in `channel` belongs to the incident."""
        await self.redis.set(key("thread", channel, ts), incident_id, ex=KEEP_S)

    async def update(self, incident_id: str, change: Callable[[Incident], None]) -> Incident:
        """Apply `change` to the stored incident atomically (retried when another writer got
        there first) and return the result."""
        name = key("incident", incident_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    await pipe.watch(name)
                    raw = await pipe.get(name)
                    if raw is None:
                        raise IncidentNotFound(incident_id)
                    incident = Incident.model_validate_json(raw)
                    change(incident)
                    incident.updated = _now()
                    pipe.multi()  # type: ignore[no-untyped-call]
                    pipe.set(name, incident.model_dump_json(), ex=KEEP_S)
                    await pipe.execute()
                    return incident
                except WatchError:
                    continue

    async def unfinished(self, older_than_s: float) -> list[Incident]:
        """Incidents still investigating after `older_than_s`: after a restart, the ones
        whose job may never have been queued."""
        now = _now()
        out = []
        async for name in self.redis.scan_iter(match=key("incident", "*"), count=500):
            raw = await self.redis.get(name)
            if raw is None:
                continue
            incident = Incident.model_validate_json(raw)
            age = (now - incident.updated).total_seconds()
            if incident.status == "investigating" and age >= older_than_s:
                out.append(incident)
        return out

    async def close_alert(self, fingerprint: str) -> None:
        """A resolved alert ends its de-duplication window: a new firing is a new incident."""
        await self.redis.delete(key("alert", fingerprint))


def _repeat(incident: Incident) -> None:
    incident.repeats += 1
