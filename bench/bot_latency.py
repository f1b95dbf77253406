"""How fast the bot answers Slack: the ack latency of a burst of events, and the time from an
alert's post to the first reply in its thread (and to the finding).

    .venv/bin/python bench/bot_latency.py [EVENTS] [ALERTS]

Everything is real but Slack: the bot as its own process (`aoi bot`, bolt + aiohttp over
signed HTTP, its embedded Redis, arq workers, the rules agent against an emulated cluster),
and the Slack emulator in this process delivering events as Slack does (concurrently,
measuring each request's time to its HTTP answer).

1. EVENTS (default 500) channel messages, a tenth of them alerts, the rest chat, to an
   intake-only replica (`--role web`), one after another and then all at once: what Slack
   sees of our ack.
2. The same burst to a whole bot (`--role all`), whose worker investigates meanwhile.
3. ALERTS (default 10) distinct alerts one after another to the whole bot: alert post to
   the thread's first reply, and to the finding.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp

from sim.scenario import find_scenario
from sim.session import RunningScenario, start_scenario
from sim.slack import SlackEmulator
from sim.telemetry.alertmanager import slack as alertmanager_slack
from trainer.sim_target import target_for

CHANNEL = "C0INCIDENT"


def _quantiles(values: list[float]) -> tuple[float, float, float]:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered), p99, ordered[-1]


@contextlib.asynccontextmanager
async def _bot(
    slack: SlackEmulator, running: RunningScenario, state: Path, role: str
) -> AsyncIterator[str]:
    """`aoi bot --role ROLE` in its own process, configured as an operator would; its URL."""
    target = target_for(running)
    port = _free_port()
    env = {
        **os.environ,
        "AOI_SLACK_BOT_TOKEN": slack.bot_token,
        "AOI_SLACK_SIGNING_SECRET": slack.signing_secret,
        "AOI_SLACK_API_URL": slack.api_url,
        "AOI_APPROVAL_SECRET": "bench",
        "AOI_KUBECONFIG": str(target.kubeconfig),
        "AOI_KUBE_EXECUTOR_CONTEXT": "sim-writer",
        "AOI_PROMETHEUS_URL": target.prometheus_url or "",
        "AOI_JAEGER_URL": target.jaeger_url or "",
        "AOI_ALERT_CHANNELS": json.dumps({"*": CHANNEL}),
        "AOI_STATE_DIR": str(state),
        "AOI_LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "aoi", "bot", "--role", role, "--host", "127.0.0.1"]
    process = subprocess.Popen([*command, "--port", str(port)], env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(300):
                try:
                    async with session.get(f"{url}/readyz") as ready:
                        if ready.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
        slack.request_url = f"{url}/slack/events"
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _alert(payload: dict[str, Any], n: int) -> list[dict[str, Any]]:
    """The scenario's page, as alert number n (its own alertname, so its own incident)."""
    title = alertmanager_slack(payload, CHANNEL)["attachments"][0]
    return [{**title, "title": title["title"].replace("ServiceHigh", f"Bench{n}ServiceHigh")}]


async def _acks(
    role: str, events: int, running: RunningScenario, state: Path, at_once: bool
) -> list[float]:
    """Ack latencies of `events` channel messages (a tenth of them alerts), sent all at once
    or one after another."""
    payload = running.alert_payload() or {}
    async with SlackEmulator(auto_retry=False) as slack, _bot(slack, running, state, role):

        async def one(i: int) -> None:
            if i % 10 == 0:
                await slack.post_message(
                    CHANNEL, "U0ALERTS", "", attachments=_alert(payload, i),
                    username="AlertManager", bot_id="B0ALERTMGR",
                )  # fmt: skip
            else:
                await slack.post_message(CHANNEL, "U0DEV", f"chat line {i}, nothing to see")

        if at_once:
            await asyncio.gather(*(one(i) for i in range(events)))
        else:
            for i in range(events):
                await one(i)
        await slack.idle()
        # Only the people's and Alertmanager's posts: not the bot's own, echoed back.
        sent = [d for d in slack.deliveries("event") if d.body["event"].get("user") != "U0AOIBOT"]
        failed = [d for d in sent if not d.acked]
        if failed:
            print(f"  {len(failed)} deliveries not acked in time: {failed[0].error}")
        return [d.latency for d in sent if d.latency is not None]


async def _first_replies(
    alerts: int, running: RunningScenario, state: Path
) -> tuple[list[float], list[float]]:
    payload = running.alert_payload() or {}
    first, finding = [], []
    async with SlackEmulator() as slack, _bot(slack, running, state / "replies", "all"):
        for n in range(alerts):
            started = time.perf_counter()
            posted = await slack.post_message(
                CHANNEL, "U0ALERTS", "", attachments=_alert(payload, n),
                username="AlertManager", bot_id="B0ALERTMGR",
            )  # fmt: skip
            thread = functools.partial(slack.thread, CHANNEL, posted.ts)
            await slack.wait_for(lambda t=thread: len(t()) > 1, 60)
            first.append(time.perf_counter() - started)
            await slack.wait_for(lambda t=thread: any(m.buttons() for m in t()), 180)
            finding.append(time.perf_counter() - started)
    return first, finding


async def main(events: int, alerts: int) -> None:
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}")
    with start_scenario(find_scenario("k8s_target_port-misconfig-1"), follow_wall=True) as running:
        state = Path(tempfile.mkdtemp(prefix="aoi-bench-"))
        for role, at_once in (("web", False), ("web", True), ("all", True)):
            how = "all at once" if at_once else "one after another"
            latencies = await _acks(role, events, running, state / f"{role}{at_once}", at_once)
            p50, p99, top = _quantiles(latencies)
            print(
                f"{events} events {how}, --role {role}: ack p50 {p50 * 1000:.1f} ms, "
                f"p99 {p99 * 1000:.1f} ms, max {top * 1000:.1f} ms ({len(latencies)} acked)"
            )
        first, finding = await _first_replies(alerts, running, state)
        f50, f99, _ = _quantiles(first)
        d50, d99, _ = _quantiles(finding)
        print(
            f"{alerts} alerts, one after another: first reply p50 {f50 * 1000:.0f} ms, "
            f"p99 {f99 * 1000:.0f} ms; finding and fix card p50 {d50:.1f} s, p99 {d99:.1f} s"
        )


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    asyncio.run(main(*(args + [500, 10][len(args) :])))
