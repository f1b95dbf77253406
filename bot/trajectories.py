"""Trajectories in Redis: saved when a thread's investigation ends, updated as approvals,
executions and feedback arrive, always redacted by the policy first. Failed, rejected and
thumbs-down ones are also indexed for the Evolver (`aoi:trajectories:learn`); every one is
in `aoi:trajectories` (scored by time) for the trainer's export."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

import redis.asyncio as aioredis
from redis.exceptions import WatchError

from agents.models import Trajectory
from bot.redis_store import key
from policies.policy import RedactionRules
from policies.redaction import redact

ALL = key("trajectories")
LEARN = key("trajectories", "learn")
Only = Literal["all", "failed"]


def redacted(trajectory: Trajectory, rules: RedactionRules | None = None) -> Trajectory:
    """The trajectory with every string in it passed through the policy's redaction."""

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            return redact(value, rules).text
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        return value

    return Trajectory.model_validate(walk(trajectory.model_dump(mode="json")))


def needs_learning(trajectory: Trajectory) -> bool:
    """What the Evolver mines: a thumbs-down, a rejected fix, a failed execution or outcome."""
    if trajectory.outcome in ("failed", "rejected"):
        return True
    if any(f.kind in ("thumbs_down", "rejection", "correction") for f in trajectory.feedback):
        return True
    return any(not e.applied or e.verified is False for e in trajectory.executions)


class TrajectoryStore:
    def __init__(self, redis: aioredis.Redis, rules: RedactionRules | None = None) -> None:
        self.redis = redis
        self.rules = rules

    async def save(self, trajectory: Trajectory) -> None:
        """Store (or replace) a trajectory, redacted, and index it."""
        clean = redacted(trajectory, self.rules)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(key("trajectory", clean.id), clean.model_dump_json())
            self._index(pipe, clean)
            await pipe.execute()

    async def get(self, trajectory_id: str) -> Trajectory | None:
        raw = await self.redis.get(key("trajectory", trajectory_id))
        return None if raw is None else Trajectory.model_validate_json(raw)

    async def update(
        self, trajectory_id: str, change: Callable[[Trajectory], None]
    ) -> Trajectory | None:
        """Change a stored trajectory atomically; None if there is none (yet)."""
        name = key("trajectory", trajectory_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    await pipe.watch(name)
                    raw = await pipe.get(name)
                    if raw is None:
                        return None
                    trajectory = Trajectory.model_validate_json(raw)
                    change(trajectory)
                    clean = redacted(trajectory, self.rules)
                    pipe.multi()  # type: ignore[no-untyped-call]
                    pipe.set(name, clean.model_dump_json())
                    self._index(pipe, clean)
                    await pipe.execute()
                    return clean
                except WatchError:
                    continue

    async def ids(self, since: datetime | None = None, only: Only = "all") -> list[str]:
        """Trajectory ids, oldest first, started at or after `since`."""
        low = since.timestamp() if since is not None else "-inf"
        found = await self.redis.zrangebyscore(LEARN if only == "failed" else ALL, low, "+inf")
        return [str(i) for i in found]

    async def list(self, since: datetime | None = None, only: Only = "all") -> list[Trajectory]:
        out = []
        for trajectory_id in await self.ids(since, only):
            found = await self.get(trajectory_id)
            if found is not None:
                out.append(found)
        return out

    @staticmethod
    def _index(pipe: Any, trajectory: Trajectory) -> None:
        score = trajectory.started.timestamp()
        pipe.zadd(ALL, {trajectory.id: score})
        if needs_learning(trajectory):
            pipe.zadd(LEARN, {trajectory.id: score})
        else:
            pipe.zrem(LEARN, trajectory.id)
