"""Feedback lands on the trajectory (👍/👎, the correction asked for after a 👎, a reaction
taken back, ✅ closing the incident), Alertmanager webhooks open and resolve incidents in
the channel their namespace maps to, a person's question starts an investigation, and the
service's own endpoints answer."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from bot.trajectories import LEARN
from tests.bot.conftest import CHANNEL


async def test_thumbs_down_then_a_correction_land_on_the_trajectory(harness: Any) -> None:
    h = await harness("k8s_target_port-misconfig-1")
    ts = await h.post_alert()
    await h.until(lambda: h.cards(ts))
    finding = next(m for m in h.thread(ts) if "Fault detected" in m.text)
    await h.slack.add_reaction("U0ONCALL", CHANNEL, finding.ts, "-1")
    await h.until(lambda: h.said(ts, "what was wrong"))
    await h.slack.post_message(
        CHANNEL, "U0ONCALL", "right Service, but say which port it should be", thread_ts=ts
    )
    await h.until(lambda: h.said(ts, "kept your correction"))
    await h.slack.add_reaction("U0DEV", CHANNEL, finding.ts, "+1")
    await h.trajectory(ts, lambda t: any(f.kind == "thumbs_up" for f in t.feedback))
    await h.slack.remove_reaction("U0DEV", CHANNEL, finding.ts, "+1")  # taken back
    wanted = [("U0ONCALL", "thumbs_down"), ("U0ONCALL", "correction")]
    stored = await h.trajectory(ts, lambda t: [(f.user, f.kind) for f in t.feedback] == wanted)
    assert stored.feedback[1].text.startswith("right Service")
    assert stored.id in await h.bot.bot.redis.zrange(LEARN, 0, -1)
    # ✅ on the alert closes the incident.
    await h.slack.add_reaction("U0ONCALL", CHANNEL, ts, "white_check_mark")
    await h.until(lambda: h.said(ts, "Resolved: marked resolved by"))
    await h.trajectory(ts, lambda t: t.outcome == "resolved")


async def test_webhook_alerts_open_and_resolve_incidents(harness: Any) -> None:
    h = await harness("k8s_target_port-misconfig-1", alert_webhook_token="hook-token")
    payload = h.running.alert_payload()
    url = f"{h.bot.url}/alerts"
    auth = {"Authorization": "Bearer hook-token"}
    async with aiohttp.ClientSession() as session:
        async with session.post(url, json=payload) as refused:
            assert refused.status == 401
        async with session.post(url, data=b"{not json", headers=auth) as bad:
            assert bad.status == 400 and "not JSON" in (await bad.json())["error"]
        async with session.post(url, json={"version": "4"}, headers=auth) as wrong:
            assert wrong.status == 400
        async with session.post(url, json=payload, headers=auth) as taken:
            opened = await taken.json()
        async with session.post(url, json=payload, headers=auth) as again:
            assert (await again.json())["status"] == "duplicate"
        assert opened["status"] == "investigating"
        root = h.slack.messages(CHANNEL)[0]
        assert "ServiceHighErrorRate" in root.text
        await h.until(lambda: h.cards(root.ts))
        resolved = {**payload, "status": "resolved"}
        resolved["alerts"] = [{**a, "status": "resolved"} for a in payload["alerts"]]
        async with session.post(url, json=resolved, headers=auth) as closing:
            assert (await closing.json())["incident"] == opened["incident"]
    await h.until(lambda: h.said(root.ts, "Resolved"))
    incident = await h.bot.bot.incidents.get(opened["incident"])
    assert incident.status == "resolved"


async def test_a_question_to_the_bot_is_investigated_in_its_thread(harness: Any) -> None:
    h = await harness("k8s_target_port-misconfig-1")
    asked = await h.slack.post_message(
        CHANNEL, "U0DEV", "<@U0AOIBOT> why are posts failing in test-social-network?"
    )
    await h.until(lambda: h.cards(asked.ts))
    incident = await h.bot.bot.incidents.for_message(CHANNEL, asked.ts)
    assert incident is not None and incident.requester == "U0DEV"
    assert incident.namespace == "test-social-network"


async def test_health_readiness_and_metrics(harness: Any) -> None:
    h = await harness("k8s_target_port-misconfig-1")
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{h.bot.url}/healthz") as health:
            assert health.status == 200
        async with session.get(f"{h.bot.url}/readyz") as ready:
            assert ready.status == 200 and (await ready.json())["ready"] is True
        ts = await h.post_alert()
        await h.until(lambda: h.cards(ts))
        # The job counts its investigation after posting the cards: poll, as Prometheus would.
        diagnosed = 'aoi_investigations_total{outcome="diagnosed"} 1.0'
        for _ in range(200):
            async with session.get(f"{h.bot.url}/metrics") as metrics:
                text = await metrics.text()
            if diagnosed in text:
                break
            await asyncio.sleep(0.05)
    assert 'aoi_incidents_total{source="alertmanager"} 1.0' in text
    assert "aoi_slack_ack_seconds_count" in text
    assert 'aoi_investigations_total{outcome="diagnosed"} 1.0' in text
