"""Fixtures: an emulator on a frozen clock, slack_sdk clients against it, and a real
slack_bolt AsyncApp served over HTTP that the emulator delivers to."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime

import pytest
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from sim.clock import SimClock
from sim.slack import SlackEmulator

# A gate sees each request before bolt does and may answer it itself (or hold it back).
Gate = Callable[[web.Request], Awaitable[web.StreamResponse | None]]


class BoltServer:
    """A real bolt AsyncApp behind aiohttp on an ephemeral port: the app under Slack."""

    def __init__(self, slack: SlackEmulator) -> None:
        client = AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)
        self.app = AsyncApp(signing_secret=slack.signing_secret, client=client)
        self.requests: list[web.Request] = []
        self.answers: list[int] = []
        self.gate: Gate | None = None
        self._runner: web.AppRunner | None = None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(request)
        answer = await self.gate(request) if self.gate else None
        if answer is None:
            answer = await to_aiohttp_response(
                await self.app.async_dispatch(await to_bolt_request(request))
            )
        self.answers.append(answer.status)
        return answer

    async def start(self) -> str:
        web_app = web.Application()
        web_app.router.add_post("/slack/events", self._handle)
        self._runner = web.AppRunner(web_app, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        return f"http://127.0.0.1:{port}/slack/events"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def retry_headers(self) -> list[tuple[str | None, str | None]]:
        return [
            (r.headers.get("X-Slack-Retry-Num"), r.headers.get("X-Slack-Retry-Reason"))
            for r in self.requests
        ]


@pytest.fixture
def clock() -> SimClock:
    """Slack's time, frozen at now: trigger ids expire only when a test moves it on."""
    return SimClock(datetime.now(UTC))


@pytest.fixture
async def slack(clock: SimClock) -> AsyncIterator[SlackEmulator]:
    # A generous ack timeout: a loaded machine must not turn a slow ack into a retry.
    emulator = SlackEmulator(clock=clock, ack_timeout=15.0, retry_delays=(0.0, 0.0, 0.0))
    async with emulator:
        yield emulator


@pytest.fixture
def client(slack: SlackEmulator) -> AsyncWebClient:
    return AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)


@pytest.fixture
async def bolt(slack: SlackEmulator) -> AsyncIterator[BoltServer]:
    server = BoltServer(slack)
    slack.request_url = await server.start()
    yield server
    await slack.idle()
    await server.stop()
