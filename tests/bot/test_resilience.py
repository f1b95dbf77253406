"""What a serious bot survives: Slack's retries and repeated alerts (one investigation),
a double click and two replicas (one execution), a worker killed mid-investigation (retried,
one complete trajectory), Slack's 429s (retried after Retry-After), and requests that are
not from Slack (401)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.bot.conftest import CHANNEL, SECRET


async def test_slack_retries_and_repeated_alerts_start_one_investigation(harness: Any) -> None:
    h = await harness("k8s_target_port-misconfig-1")
    ts = await h.post_alert()
    first = next(d for d in h.slack.deliveries("event") if d.body["event"].get("ts") == ts)
    await h.slack.redeliver(first.id, retry_num=1, reason="http_timeout")
    await h.slack.redeliver(first.id, retry_num=2, reason="http_timeout")
    again = await h.post_alert()  # Alertmanager notifies the same group again
    await h.until(lambda: h.cards(ts))
    await h.until(lambda: "repeat" in h.slack.messages(CHANNEL)[-1].reactions)
    investigating = [
        c for c in h.slack.calls("chat.postMessage") if "Investigating" in str(c.args.get("text"))
    ]
    assert len(investigating) == 1
    assert h.said(again, "Same alert as") and len(h.cards(again)) == 0
    metrics = h.bot.bot.metrics
    assert metrics.duplicates.labels("slack_retry")._value.get() == 2
    assert metrics.duplicates.labels("alert")._value.get() == 1
    incident = await h.bot.bot.incidents.for_message(CHANNEL, ts)
    assert incident is not None and incident.repeats == 1


async def test_a_double_click_and_two_replicas_run_the_fix_once(harness: Any) -> None:
    h = await harness("k8s_target_port-misconfig-1")
    other = await h.start_bot()  # a second replica on the same Redis
    ts = await h.post_alert()
    await h.until(lambda: h.cards(ts))
    card = h.cards(ts)[0]
    first, _second = await asyncio.gather(
        h.slack.click("U0ONCALL", CHANNEL, card.ts, "aoi_approve"),
        h.slack.click("U0ONCALL", CHANNEL, card.ts, "aoi_approve"),
    )
    assert await h.send_to(other, first.body) == 200  # the same click, at the other replica
    await h.until(lambda: h.said(ts, "applied"))
    await h.until(lambda: len(h.slack.ephemerals("U0ONCALL")) >= 2)
    incident = await h.bot.bot.incidents.for_message(CHANNEL, ts)
    assert incident is not None
    trajectory = await h.bot.bot.trajectories.get(incident.trajectory_id)
    assert trajectory is not None and len(trajectory.executions) == 1
    executions = [e for e in await h.bot.bot.audit.events() if e.action == "execution"]
    assert len(executions) == 1
    refusals = [m.text for m in h.slack.ephemerals("U0ONCALL")]
    assert all("nothing more was run" in text for text in refusals), refusals


async def test_a_worker_killed_mid_investigation_is_retried_once(
    harness: Any, tmp_path: Path
) -> None:
    h = await harness("k8s_target_port-misconfig-1", role="web", job_lease_s=4.0)
    env = {
        **os.environ,
        "AOI_SLACK_BOT_TOKEN": h.slack.bot_token,
        "AOI_SLACK_SIGNING_SECRET": h.slack.signing_secret,
        "AOI_SLACK_API_URL": h.slack.api_url,
        "AOI_APPROVAL_SECRET": SECRET,
        "AOI_REDIS_URL": h.redis.url,
        "AOI_KUBECONFIG": str(h.config.target.kubeconfig),
        "AOI_KUBE_EXECUTOR_CONTEXT": "sim-writer",
        "AOI_PROMETHEUS_URL": h.config.target.prometheus_url or "",
        "AOI_JAEGER_URL": h.config.target.jaeger_url or "",
        "AOI_JOB_LEASE_S": "4",
        "AOI_STATE_DIR": str(tmp_path / "worker-state"),
    }
    log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen(
        [sys.executable, "-m", "aoi", "bot", "--role", "worker"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        ts = await h.post_alert()
        # Killed as soon as it reports its first step: the investigation is under way.
        await h.until(lambda: "surface scan" in h.slack.transcript(CHANNEL, ts), timeout=120)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
        log.close()
    assert not h.cards(ts)
    await h.start_bot(role="worker")
    # Another worker reruns the job once the dead one's lease on it lapses.
    await h.until(lambda: h.cards(ts), timeout=120)
    findings = [m for m in h.thread(ts) if "Fault detected" in m.text]
    assert len(findings) == 1 and len(h.cards(ts)) == 1
    assert "picked up again after a lost worker (try 2)" in h.slack.transcript(CHANNEL, ts)
    ids = await h.bot.bot.trajectories.ids()
    assert len(ids) == 1
    stored = await h.bot.bot.trajectories.get(ids[0])
    assert stored is not None and stored.finding is not None and stored.iterations


async def test_a_worker_stopped_mid_investigation_stops_cleanly_and_its_job_runs_again(
    harness: Any,
) -> None:
    h = await harness("k8s_target_port-misconfig-1", role="web")
    leaving = await h.start_bot(role="worker")
    ts = await h.post_alert()
    await h.until(lambda: "surface scan" in h.slack.transcript(CHANNEL, ts), timeout=120)
    # A rolling restart: stop() cancels the running job and must not raise for it.
    await leaving.stop()
    h.runtimes.remove(leaving)
    assert not h.cards(ts)
    await h.start_bot(role="worker")
    await h.until(lambda: h.cards(ts), timeout=120)
    assert len(h.cards(ts)) == 1
    assert "picked up again after a lost worker (try 2)" in h.slack.transcript(CHANNEL, ts)


async def test_slack_429s_are_retried_after_retry_after(harness: Any) -> None:
    h = await harness("k8s_target_port-misconfig-1")
    h.slack.rate_limit("chat.postMessage", times=2, retry_after=1)
    ts = await h.post_alert()
    await h.until(lambda: h.cards(ts))
    statuses = [c.status for c in h.slack.calls("chat.postMessage")]
    assert statuses[:3] == [429, 429, 200]
    assert h.said(ts, "Investigating") or len(h.thread(ts)) >= 3


async def test_requests_not_signed_by_slack_get_401(harness: Any) -> None:
    h = await harness("k8s_target_port-misconfig-1")
    body = b'{"type":"event_callback","event_id":"Ev1","event":{"type":"app_mention"}}'
    forged = await h.slack.send_raw(body, h.slack.signed_headers(body, secret="not-the-secret"))
    stale_at = int(time.time()) - 600
    stale = await h.slack.send_raw(body, h.slack.signed_headers(body, timestamp=stale_at))
    unsigned = await h.slack.send_raw(body, {"Content-Type": "application/json"})
    assert (forged.status, stale.status, unsigned.status) == (401, 401, 401)
    assert await h.bot.bot.incidents.for_message(CHANNEL, "1") is None
