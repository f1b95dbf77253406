"""The rest of a thread's conversation: a rejected fix with its reason, a question asked in
an incident's thread (looked at with that incident's context), progress edits that keep up
with Slack's per-channel limit, and Socket Mode instead of HTTP events."""

from __future__ import annotations

from typing import Any

from tests.bot.conftest import CHANNEL


async def test_a_rejection_asks_why_and_keeps_the_reason(harness: Any) -> None:
    h = await harness("k8s_target_port-misconfig-1")
    ts = await h.post_alert()
    await h.until(lambda: h.cards(ts))
    card = h.cards(ts)[0]
    await h.slack.click("U0ONCALL", CHANNEL, card.ts, "aoi_reject")
    await h.until(lambda: h.slack.open_views("U0ONCALL"))
    modal = h.slack.open_views("U0ONCALL")[0]
    assert modal["callback_id"] == "aoi_reject_reason" and h.cards(ts), "still open"
    await h.slack.submit_view(
        "U0ONCALL", modal["id"], {"reason": {"reason": "we change Services through GitOps"}}
    )
    await h.until(lambda: not h.cards(ts))
    result = next(m for m in h.thread(ts) if m.ts == card.ts)
    assert "Rejected by @U0ONCALL: we change Services through GitOps" in result.text
    assert not h.running.score("mitigation", None).success  # nothing ran
    stored = await h.trajectory(ts, lambda t: t.outcome == "rejected")
    assert not stored.executions
    assert [(f.kind, f.text) for f in stored.feedback] == [
        ("rejection", "we change Services through GitOps")
    ]
    events = [(e.actor, e.action, e.decision) for e in await h.bot.bot.audit.events()]
    assert ("U0ONCALL", "rejection", "rejected") in events


async def test_a_question_in_an_incident_thread_follows_up_on_it(harness: Any) -> None:
    h = await harness("k8s_target_port-misconfig-1")
    ts = await h.post_alert()
    await h.until(lambda: h.cards(ts))
    first = await h.bot.bot.incidents.for_message(CHANNEL, ts)
    await h.slack.post_message(
        CHANNEL, "U0DEV", "<@U0AOIBOT> is anything else wrong here?", thread_ts=ts
    )
    await h.until(lambda: len(h.cards(ts)) == 2)
    follow_up = await h.bot.bot.incidents.for_message(CHANNEL, ts)
    assert first is not None and follow_up is not None and follow_up.id != first.id
    assert follow_up.thread_ts == ts and follow_up.requester == "U0DEV"
    assert follow_up.namespace == "test-social-network"  # from the alert it follows up on
    assert "Asked in the thread of: ServiceHighErrorRate" in follow_up.alert.summary
    # The requester may not approve what they asked for, whatever their groups.
    card = h.cards(ts)[-1]
    await h.slack.click("U0DEV", CHANNEL, card.ts, "aoi_approve")
    await h.until(lambda: h.slack.ephemerals("U0DEV"))


async def test_progress_keeps_within_slacks_edit_rate(harness: Any) -> None:
    h = await harness("k8s_target_port-misconfig-1", progress_interval_s=1.0)
    h.slack.throttle("chat.update", per_second=1.0, burst=1)
    ts = await h.post_alert()
    await h.until(lambda: h.cards(ts))
    await h.until(lambda: "done in" in h.slack.transcript(CHANNEL, ts))
    updates = h.slack.calls("chat.update")
    assert updates and updates[-1].status == 200


async def test_socket_mode_instead_of_http(harness: Any) -> None:
    h = await harness("k8s_target_port-misconfig-1", socket_mode=True)
    await h.until(lambda: h.slack.socket_mode.connected, timeout=30)
    ts = await h.post_alert()
    await h.until(lambda: h.cards(ts))
    await h.slack.click("U0ONCALL", CHANNEL, h.cards(ts)[0].ts, "aoi_approve")
    await h.until(lambda: h.said(ts, "applied"))
    assert h.slack.deliveries() and all(d.transport == "socket" for d in h.slack.deliveries())
