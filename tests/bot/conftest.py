"""The bot's end-to-end harness: a served emulated cluster with a fault, a real embedded
Redis, the Slack emulator (Slack's side of the wire), and the bot itself over real signed
HTTP. Helpers post alerts as Alertmanager does and wait on the thread as a person would."""

from __future__ import annotations

import asyncio
import json
import urllib.parse
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from agents.models import Trajectory
from bot.config import BotConfig
from bot.redis_store import RedisHandle, open_redis
from bot.server import BotRuntime, Role
from sim.scenario import find_scenario
from sim.session import RunningScenario, start_scenario
from sim.slack import MessageView, SlackEmulator
from sim.telemetry.alertmanager import slack as alertmanager_slack
from tests.bot.test_manifest import METHOD_SCOPES
from trainer.sim_target import target_for

CHANNEL = "C0INCIDENT"
SECRET = "test-approval-secret"
FORM = "application/x-www-form-urlencoded"
WAIT_S = 90.0  # generous: CI's two cores may be busy with other tests


@dataclass
class Harness:
    slack: SlackEmulator
    running: RunningScenario
    config: BotConfig
    redis: RedisHandle
    runtimes: list[BotRuntime] = field(default_factory=list)

    @property
    def bot(self) -> BotRuntime:
        return self.runtimes[0]

    async def start_bot(self, role: Role = "all", **changes: Any) -> BotRuntime:
        """One more replica (the first one receives Slack's requests)."""
        runtime = BotRuntime(replace(self.config, **changes), role=role, redis_handle=self.redis)
        await runtime.start()
        self.runtimes.append(runtime)
        if len(self.runtimes) == 1:
            self.slack.request_url = f"{runtime.url}/slack/events"
        return runtime

    async def post_alert(self) -> str:
        """Alertmanager's default Slack notification for the scenario; its ts."""
        payload = self.running.alert_payload()
        assert payload is not None, "the scenario pages nobody"
        message = alertmanager_slack(payload, CHANNEL)
        posted = await self.slack.post_message(
            CHANNEL,
            "U0ALERTS",
            "",
            attachments=message["attachments"],
            username="AlertManager",
            bot_id="B0ALERTMGR",
        )
        return posted.ts

    def thread(self, ts: str) -> list[MessageView]:
        return self.slack.thread(CHANNEL, ts)

    def cards(self, ts: str) -> list[MessageView]:
        return [m for m in self.thread(ts) if m.buttons()]

    def said(self, ts: str, words: str) -> bool:
        return any(words in (m.text or "") for m in self.thread(ts))

    async def until(self, check: Callable[[], Any], timeout: float = WAIT_S) -> None:
        await self.slack.wait_for(lambda: bool(check()), timeout=timeout)

    async def trajectory(
        self, ts: str, holds: Callable[[Trajectory], bool] = lambda _: True
    ) -> Trajectory:
        """The thread's stored trajectory once `holds` is true of it (listeners finish their
        writes after Slack sees their messages)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT_S
        while True:
            incident = await self.bot.bot.incidents.for_message(CHANNEL, ts)
            stored = None
            if incident is not None:
                stored = await self.bot.bot.trajectories.get(incident.trajectory_id)
            if stored is not None and holds(stored):
                return stored
            if loop.time() > deadline:
                raise AssertionError(f"the trajectory of {ts} never got there: {stored}")
            await asyncio.sleep(0.05)

    async def send_to(self, runtime: BotRuntime, payload: dict[str, Any]) -> int:
        """An interaction payload, signed as Slack signs it, straight to one replica."""
        body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
        headers = self.slack.signed_headers(body, content_type=FORM)
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{runtime.url}/slack/events", data=body, headers=headers) as response,
        ):
            return response.status


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Callable[[str], RunningScenario]]:
    """Scenarios served live (their clock follows the wall, as a real cluster's does)."""
    started: list[RunningScenario] = []

    def start(name: str) -> RunningScenario:
        running = start_scenario(
            find_scenario(name), follow_wall=True, kubeconfig=tmp_path / f"{name}.kubeconfig"
        )
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop()


@pytest.fixture
async def harness(
    tmp_path: Path, served: Callable[[str], RunningScenario]
) -> AsyncIterator[Callable[..., Any]]:
    """`await harness(scenario, **config)`: everything started, one bot replica serving."""
    made: list[Harness] = []

    async def build(
        scenario: str = "k8s_target_port-misconfig-1",
        role: Role = "all",
        socket_mode: bool = False,
        **changes: Any,
    ) -> Harness:
        running = served(scenario)
        slack = SlackEmulator(delivery="socket" if socket_mode else "http")
        await slack.start()
        redis = open_redis(None, tmp_path / "redis")
        config = BotConfig(
            signing_secret=slack.signing_secret,
            bot_token=slack.bot_token,
            approval_secret=SECRET,
            target=target_for(running).model_copy(update={"namespace": None}),
            slack_api_url=slack.api_url,
            state_dir=tmp_path / "state",
            alert_channels={"*": CHANNEL},
            progress_interval_s=0.3,
            app_token=slack.app_token if socket_mode else None,
        )
        config = replace(config, **changes)
        made.append(Harness(slack, running, config, redis))
        await made[-1].start_bot(role)
        return made[-1]

    yield build
    for built in made:
        for runtime in built.runtimes:
            await runtime.stop()
        await built.slack.stop()
        await built.redis.close()
    # Whatever a test made the bot do, the Slack app manifest's scopes must cover it.
    called = {c.method for built in made for c in built.slack.calls()}
    assert called <= set(METHOD_SCOPES), f"not in METHOD_SCOPES: {called - set(METHOD_SCOPES)}"
