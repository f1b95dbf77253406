"""One incident end to end, over real signed HTTP, real Redis and a real emulated cluster:
the alert's thread gets an immediate reply, live progress and the finding; the fix card's
Approve runs the fix through the Executor and the card says it was applied and verified;
the mitigation scorer agrees; the trajectory and the audit log keep every step."""

from __future__ import annotations

import json
import time
import urllib.parse
from typing import Any

from bot.tokens import ActionToken, sign, verify
from tests.bot.conftest import CHANNEL, SECRET


async def test_alert_to_finding_to_approved_verified_fix(harness: Any) -> None:
    h = await harness("k8s_target_port-misconfig-1")
    ts = await h.post_alert()
    # The first reply comes from intake, before any investigation work.
    await h.until(lambda: len(h.thread(ts)) >= 2)
    await h.until(lambda: h.cards(ts))
    thread = h.thread(ts)
    progress, finding = thread[1], thread[2]
    assert progress.edited and "done" in progress.text
    assert "user-service" in finding.text and "targets port 9999" in finding.text
    card = h.cards(ts)[0]
    assert "kubectl patch service user-service" in card.text
    assert [b.action_id for b in card.buttons()] == ["aoi_approve", "aoi_reject"]
    assert not h.running.score("mitigation", None).success  # nothing changed yet

    await h.slack.click("U0ONCALL", CHANNEL, card.ts, "aoi_approve")
    await h.until(lambda: not h.cards(ts) and h.said(ts, "applied"))
    result = next(m for m in h.thread(ts) if m.ts == card.ts)
    assert "Approved by @U0ONCALL · applied · verified" in result.text
    assert h.running.score("mitigation", None).success

    incident = await h.bot.bot.incidents.for_message(CHANNEL, ts)
    assert incident is not None and incident.fixes[0].state == "applied"
    trajectory = await h.trajectory(ts, lambda t: bool(t.executions))
    assert trajectory.finding is not None
    assert [a.approver for a in trajectory.approvals] == ["U0ONCALL"]
    assert trajectory.executions[0].applied and trajectory.executions[0].verified
    actions = [(e.actor, e.action, e.decision) for e in await h.bot.bot.audit.events()]
    assert ("U0ONCALL", "approval", "approved") in actions
    assert ("executor", "execution", "ok") in actions
    assert ("executor", "verification", "ok") in actions
    # No Probe command of the investigation was a write.
    reads = [e for e in await h.bot.bot.audit.events() if e.action == "decision"]
    assert reads and all(e.role == "probe" and e.decision == "allow" for e in reads)


async def test_refused_clicks_say_why_and_run_nothing(harness: Any) -> None:
    h = await harness("k8s_target_port-misconfig-1")
    ts = await h.post_alert()
    await h.until(lambda: h.cards(ts))
    card = h.cards(ts)[0]
    incident = await h.bot.bot.incidents.for_message(CHANNEL, ts)
    assert incident is not None
    # Someone who may not approve patches.
    await h.slack.click("U0DEV", CHANNEL, card.ts, "aoi_approve")
    await h.until(lambda: h.slack.ephemerals("U0DEV"))
    assert "not an approver for patch actions" in h.slack.ephemerals("U0DEV")[-1].text
    # A forged value: the right shape, the wrong key.
    token = card.buttons()[0].value
    assert token is not None
    digest = verify(token, SECRET).digest
    forged = sign(ActionToken(incident.id, 0, "approve", digest, int(time.time()) + 60), "x")
    await h.slack.click("U0ONCALL", CHANNEL, card.ts, "aoi_approve", value=forged)
    # An expired one, properly signed.
    expired = sign(ActionToken(incident.id, 0, "approve", digest, int(time.time()) - 1), SECRET)
    await h.slack.click("U0ONCALL", CHANNEL, card.ts, "aoi_approve", value=expired)
    await h.until(lambda: len(h.slack.ephemerals("U0ONCALL")) >= 2)
    said = [m.text for m in h.slack.ephemerals("U0ONCALL")]
    assert any("signature does not match" in text for text in said)
    assert any("expired" in text for text in said)
    assert h.cards(ts), "the card still waits for a real approval"
    assert not h.running.score("mitigation", None).success
    # Then the real approval, and a replay of its payload once the fix is done.
    approved = await h.slack.click("U0ONCALL", CHANNEL, card.ts, "aoi_approve", value=token)
    await h.until(lambda: h.said(ts, "applied"))
    replay = urllib.parse.urlencode({"payload": json.dumps(approved.body)}).encode()
    form = "application/x-www-form-urlencoded"
    await h.slack.send_raw(replay, h.slack.signed_headers(replay, content_type=form))
    await h.until(lambda: any("already applied" in m.text for m in h.slack.ephemerals("U0ONCALL")))
    stored = await h.bot.bot.trajectories.get(incident.trajectory_id)
    assert stored is not None and len(stored.executions) == 1
