"""Request signing as bolt checks it, and Slack's retries of unacknowledged events."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web

from sim.clock import SimClock
from sim.slack import SlackEmulator
from tests.sim.slack.conftest import BoltServer

INCIDENTS = "C0INCIDENT"


def event_body(slack: SlackEmulator) -> bytes:
    return json.dumps(
        {
            "token": slack.workspace.verification_token,
            "team_id": slack.workspace.team_id,
            "api_app_id": slack.workspace.app_id,
            "type": "event_callback",
            "event_id": "EvFORGED",
            "event_time": int(slack.now().timestamp()),
            "event": {"type": "app_mention", "user": "U0DEV", "text": "<@U0AOIBOT> hi"},
        }
    ).encode()


async def test_only_well_signed_fresh_requests_get_in(
    slack: SlackEmulator, bolt: BoltServer
) -> None:
    @bolt.app.event("app_mention")
    async def on_mention() -> None:
        pass

    body = event_body(slack)
    now = int(slack.now().timestamp())
    good = await slack.send_raw(body, slack.signed_headers(body))
    forged = await slack.send_raw(body, slack.signed_headers(body, secret="not-the-secret"))
    tampered = await slack.send_raw(body + b" ", slack.signed_headers(body))
    stale = await slack.send_raw(body, slack.signed_headers(body, timestamp=now - 6 * 60))
    unsigned = await slack.send_raw(body, {"Content-Type": "application/json"})
    assert good.status == 200
    assert [d.status for d in (forged, tampered, stale, unsigned)] == [401, 401, 401, 401]


async def test_a_slow_ack_is_retried_with_retry_headers(clock: SimClock) -> None:
    # Slack gives up on an answer after 3 s; a shorter ack timeout keeps this test quick.
    async with SlackEmulator(clock=clock, ack_timeout=1.0, retry_delays=(0, 0, 0)) as slack:
        bolt = BoltServer(slack)
        slack.request_url = await bolt.start()
        retried = asyncio.Event()

        async def hold_first(request: web.Request) -> web.StreamResponse | None:
            await request.read()
            if "X-Slack-Retry-Num" in request.headers:
                retried.set()
            elif len(bolt.requests) == 1:
                await retried.wait()  # the first request is answered only after Slack retried
            return None

        bolt.gate = hold_first
        handled: list[str] = []

        @bolt.app.message("help")
        async def on_message(message: dict[str, Any]) -> None:
            handled.append(message["text"])

        posted = await slack.post_message(INCIDENTS, "U0ONCALL", "help")
        [first] = posted.deliveries
        assert first.acked is False and first.error == "http_timeout" and first.status is None
        await slack.wait_for(lambda: any(d.acked and d.retry_num for d in slack.deliveries()))
        retry = next(d for d in slack.deliveries() if d.retry_num and d.acked)
        assert retry.id == first.id and retry.body == first.body
        assert retry.retry_reason == "http_timeout"
        assert ("1", "http_timeout") in bolt.retry_headers()
        await slack.wait_for(lambda: handled)
        await slack.idle()
        await bolt.stop()


async def test_an_error_answer_is_retried_up_to_three_times(
    slack: SlackEmulator, bolt: BoltServer
) -> None:
    async def refuse(request: web.Request) -> web.StreamResponse | None:
        return web.Response(status=500)

    bolt.gate = refuse
    posted = await slack.post_message(INCIDENTS, "U0ONCALL", "hello")
    await slack.idle()
    attempts = [d for d in slack.deliveries() if d.id == posted.deliveries[0].id]
    assert [(d.retry_num, d.retry_reason, d.status) for d in attempts] == [
        (0, None, 500),
        (1, "http_error", 500),
        (2, "http_error", 500),
        (3, "http_error", 500),
    ]
    assert bolt.retry_headers()[1:] == [
        ("1", "http_error"),
        ("2", "http_error"),
        ("3", "http_error"),
    ]


async def test_x_slack_no_retry_stops_retries(slack: SlackEmulator, bolt: BoltServer) -> None:
    async def refuse(request: web.Request) -> web.StreamResponse | None:
        return web.Response(status=500, headers={"X-Slack-No-Retry": "1"})

    bolt.gate = refuse
    posted = await slack.post_message(INCIDENTS, "U0ONCALL", "hello")
    await slack.idle()
    assert [d.retry_num for d in slack.deliveries() if d.id == posted.deliveries[0].id] == [0]


async def test_redeliver_sends_an_event_again_as_a_retry(
    slack: SlackEmulator, bolt: BoltServer
) -> None:
    events: list[str] = []

    @bolt.app.event("app_mention")
    async def on_mention(body: dict[str, Any]) -> None:
        events.append(body["event_id"])

    posted = await slack.post_message(INCIDENTS, "U0ONCALL", "<@U0AOIBOT> once")
    event_id = posted.deliveries[-1].id
    again = await slack.redeliver(event_id, retry_num=2, reason="http_timeout")
    assert again.acked and again.retry_num == 2
    assert bolt.retry_headers()[-1] == ("2", "http_timeout")
    # Same event id both times: an app deduplicates on it.
    await slack.wait_for(lambda: len(events) == 2)
    assert events == [event_id, event_id]
