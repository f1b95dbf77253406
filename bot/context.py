"""The running bot's parts, built once and handed to every handler and job: configuration,
Redis and the stores on it, the Slack client, the user directory, the audit log, metrics
and the job queue."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import redis.asyncio as aioredis
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.audit import AuditLog
from bot.config import BotConfig
from bot.directory import UserDirectory
from bot.incidents import IncidentStore
from bot.metrics import BotMetrics
from bot.trajectories import TrajectoryStore

if TYPE_CHECKING:
    from arq.connections import ArqRedis


def slack_client(config: BotConfig) -> AsyncWebClient:
    """The Web API client: a 429 waits its Retry-After and tries again, as do dropped
    connections, so a busy workspace slows the bot down instead of losing a message."""
    return AsyncWebClient(
        token=config.bot_token,
        base_url=config.slack_api_url,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
            AsyncRateLimitErrorRetryHandler(max_retry_count=5),
        ],
    )


@dataclass
class Bot:
    config: BotConfig
    redis: aioredis.Redis
    queue: ArqRedis
    slack: AsyncWebClient
    metrics: BotMetrics = field(default_factory=BotMetrics)
    bot_user_id: str | None = None  # from auth.test, at start
    _busy: set[asyncio.Task[Any]] = field(default_factory=set)

    @contextlib.asynccontextmanager
    async def handling(self) -> AsyncIterator[None]:
        """Around a handler's work, which bolt runs after the ack: a stopping bot waits for
        it instead of pulling Redis away from under it."""
        task = asyncio.current_task()
        if task is not None:
            self._busy.add(task)
        try:
            yield
        finally:
            if task is not None:
                self._busy.discard(task)

    async def drain(self, timeout_s: float = 30.0) -> None:
        """Wait for the handlers still at work (a click's execution, an intake)."""
        pending = [t for t in self._busy if not t.done()]
        if pending:
            await asyncio.wait(pending, timeout=timeout_s)

    @property
    def incidents(self) -> IncidentStore:
        return IncidentStore(self.redis)

    @property
    def trajectories(self) -> TrajectoryStore:
        return TrajectoryStore(self.redis, self.config.policy.redaction)

    @property
    def directory(self) -> UserDirectory:
        return UserDirectory(self.slack, self.redis)

    @property
    def audit(self) -> AuditLog:
        return AuditLog(self.redis)
