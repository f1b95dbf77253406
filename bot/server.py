"""The bot as a running service: HTTP routes, the job workers, and (with an app token)
Socket Mode, over one Redis.

Routes: `POST /slack/events` (events, interactivity and slash commands, through bolt),
`POST /alerts` (Alertmanager webhooks), `GET /healthz` (the process answers), `GET /readyz`
(Redis and Slack answer), `GET /metrics` (Prometheus). Roles: `web` takes Slack and
webhooks and only enqueues; `worker` runs investigations; `all` (the default) does both, so
one process is a whole bot and more replicas of either role scale it out."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import web
from arq import Worker, create_pool
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError

from bot.app import build_app
from bot.config import BotConfig
from bot.context import Bot, slack_client
from bot.intake import WebhookError, on_webhook
from bot.jobs import enqueue_investigation, make_worker
from bot.redis_store import RedisHandle, open_redis

log = logging.getLogger(__name__)
Role = Literal["all", "web", "worker"]
RESTART_GRACE_S = 60  # an intake this long ago has long since queued its job, if it lived


@dataclass
class BotRuntime:
    """Start with `async with BotRuntime(config) as runtime:`; `runtime.url` is where
    Slack's Request URL and Alertmanager's webhook point."""

    config: BotConfig
    role: Role = "all"
    host: str = "127.0.0.1"
    port: int = 0
    workers: int = 1
    redis_handle: RedisHandle | None = None  # a shared one (tests); else from config
    bot: Bot = field(init=False)
    app: AsyncApp = field(init=False)
    url: str = field(init=False, default="")
    _runner: web.AppRunner | None = field(init=False, default=None)
    _workers: list[Worker] = field(init=False, default_factory=list)
    _tasks: list[asyncio.Task[Any]] = field(init=False, default_factory=list)
    _socket: AsyncSocketModeHandler | None = field(init=False, default=None)
    _owns_redis: bool = field(init=False, default=False)

    async def __aenter__(self) -> BotRuntime:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        if self.redis_handle is None:
            self.redis_handle = open_redis(self.config.redis_url, self.config.state_dir)
            self._owns_redis = True
        handle = self.redis_handle
        redis = handle.client()
        await redis.ping()
        queue = await create_pool(handle.arq_settings())
        self.bot = Bot(self.config, redis, queue, slack_client(self.config))
        try:
            auth = await self.bot.slack.auth_test()
            self.bot.bot_user_id = str(auth.get("user_id") or "") or None
        except SlackApiError as exc:
            raise RuntimeError(f"Slack refused the bot token: {exc.response.get('error')}") from exc
        self.app = build_app(self.bot)
        if self.role in ("all", "web"):
            await self._serve()
            if self.config.app_token:
                self._socket = AsyncSocketModeHandler(
                    self.app, self.config.app_token, web_client=self.bot.slack
                )
                await self._socket.connect_async()  # type: ignore[no-untyped-call]
        if self.role in ("all", "worker"):
            await self._requeue_unfinished()
            for _ in range(self.workers):
                worker = make_worker(self.bot, handle.arq_settings())
                self._workers.append(worker)
                self._tasks.append(asyncio.create_task(worker.async_run()))

    async def _requeue_unfinished(self) -> None:
        """An incident whose intake died between saving it and queueing its job would wait
        forever: queue it again (a no-op for a job that is queued or running)."""
        for incident in await self.bot.incidents.unfinished(older_than_s=RESTART_GRACE_S):
            if await enqueue_investigation(self.bot.queue, incident.id):
                log.warning("requeued the investigation of %s after a restart", incident.id)

    async def stop(self) -> None:
        """Stop taking requests, let the handlers at work finish, stop the workers (a job
        cut short runs again elsewhere), then let go of Redis."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
            self._socket = None
        if hasattr(self, "bot"):
            await self.bot.drain()
        for worker in self._workers:
            await _close(worker)
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._workers, self._tasks = [], []
        if hasattr(self, "bot"):
            with contextlib.suppress(Exception):
                await self.bot.queue.aclose()
        if self.redis_handle is not None:
            if self._owns_redis:
                await self.redis_handle.close()
            elif hasattr(self, "bot"):
                with contextlib.suppress(Exception):
                    await self.bot.redis.aclose()

    async def _serve(self) -> None:
        web_app = web.Application()
        web_app.router.add_post("/slack/events", self._slack_events)
        web_app.router.add_post("/alerts", self._alerts)
        web_app.router.add_get("/healthz", self._healthz)
        web_app.router.add_get("/readyz", self._readyz)
        web_app.router.add_get("/metrics", self._metrics)
        self._runner = web.AppRunner(web_app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://{self.host}:{port}"
        log.info("AOI bot listening on %s (role %s)", self.url, self.role)

    async def _slack_events(self, request: web.Request) -> web.Response:
        started = time.perf_counter()
        response = await to_aiohttp_response(
            await self.app.async_dispatch(await to_bolt_request(request))
        )
        self.bot.metrics.ack_seconds.observe(time.perf_counter() - started)
        return response

    async def _alerts(self, request: web.Request) -> web.Response:
        token = self.config.alert_webhook_token
        if token and request.headers.get("Authorization") != f"Bearer {token}":
            return web.json_response({"error": "a bearer token is required"}, status=401)
        try:
            payload = await request.json()
        except ValueError:
            return web.json_response({"error": "the body is not JSON"}, status=400)
        try:
            result = await on_webhook(self.bot, payload)
        except WebhookError as exc:
            return web.json_response({"error": str(exc)}, status=exc.status)
        return web.json_response(result)

    async def _healthz(self, _: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def _readyz(self, _: web.Request) -> web.Response:
        problems = []
        try:
            await self.bot.redis.ping()
        except Exception as exc:  # any failure means not ready, whatever it is
            problems.append(f"redis: {exc}")
        if self.bot.bot_user_id is None:
            problems.append("slack: auth.test gave no bot user")
        status = 503 if problems else 200
        return web.json_response({"ready": not problems, "problems": problems}, status=status)

    async def _metrics(self, _: web.Request) -> web.Response:
        return web.Response(
            body=self.bot.metrics.exposition(), content_type="text/plain", charset="utf-8"
        )


async def _close(worker: Worker) -> None:
    """arq cancels the jobs still running and then awaits them, so their CancelledError comes
    out of close(); that is the job cut short, not this task being cancelled."""
    try:
        await worker.close()
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if current is not None and current.cancelling():
            raise
        log.warning("stopped a worker with a job still running; it runs again elsewhere")
