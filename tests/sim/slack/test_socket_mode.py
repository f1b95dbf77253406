"""Socket Mode: slack_bolt's AsyncSocketModeHandler against the emulator, and the envelope
protocol itself (hello, envelopes, acks, retries, one-time tickets) seen from a bare client."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.say.async_say import AsyncSay
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from sim.clock import SimClock
from sim.slack import SlackEmulator

INCIDENTS = "C0INCIDENT"


@pytest.fixture
async def socket_slack(clock: SimClock) -> AsyncIterator[SlackEmulator]:
    async with SlackEmulator(
        clock=clock, delivery="socket", ack_timeout=15.0, retry_delays=(0, 0, 0)
    ) as slack:
        yield slack


@pytest.fixture
async def socket_app(socket_slack: SlackEmulator) -> AsyncIterator[AsyncApp]:
    client = AsyncWebClient(token=socket_slack.bot_token, base_url=socket_slack.api_url)
    app = AsyncApp(client=client)
    handler = AsyncSocketModeHandler(app, socket_slack.app_token)
    await handler.connect_async()  # type: ignore[no-untyped-call]
    yield app
    await socket_slack.idle()
    await handler.close_async()  # type: ignore[no-untyped-call]


async def test_bolt_over_socket_mode_gets_events_commands_and_clicks(
    socket_slack: SlackEmulator, socket_app: AsyncApp
) -> None:
    slack = socket_slack
    clicked: list[dict[str, Any]] = []

    @socket_app.message("FIRING")
    async def on_alert(message: dict[str, Any], say: AsyncSay) -> None:
        button = {
            "type": "button",
            "action_id": "approve",
            "text": {"type": "plain_text", "text": "Approve"},
        }
        await say(
            text="Proposed fix",
            thread_ts=message["ts"],
            blocks=[{"type": "actions", "elements": [button]}],
        )

    @socket_app.command("/aoi")
    async def aoi(ack: AsyncAck) -> None:
        await ack(text="on it")

    @socket_app.action("approve")
    async def approve(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        clicked.append(body)

    posted = await slack.post_message(INCIDENTS, "U0ALERTS", "[FIRING:1] HighErrorRate")
    [delivery] = posted.deliveries
    assert delivery.transport == "socket" and delivery.acked and delivery.latency is not None
    assert slack.calls("apps.connections.open")[0].token == slack.app_token
    _, proposal = await slack.wait_for(
        lambda: t if len(t := slack.thread(INCIDENTS, posted.ts)) == 2 else None
    )
    command = await slack.slash_command("U0DEV", INCIDENTS, "/aoi", "status")
    assert command.transport == "socket" and command.response == {"text": "on it"}
    assert [m.text for m in slack.ephemerals("U0DEV")] == ["on it"]
    await slack.click("U0ONCALL", INCIDENTS, proposal.ts, "approve")
    [body] = await slack.wait_for(lambda: clicked)
    assert body["type"] == "block_actions" and body["user"]["id"] == "U0ONCALL"


async def test_bolt_reconnects_when_slack_asks_it_to(
    socket_slack: SlackEmulator, socket_app: AsyncApp
) -> None:
    heard: list[str] = []

    @socket_app.message("")
    async def on_any(message: dict[str, Any]) -> None:
        heard.append(message["text"])

    await socket_slack.disconnect_sockets("refresh_requested")
    await socket_slack.wait_for(lambda: len(socket_slack.calls("apps.connections.open")) >= 2)
    posted = await socket_slack.post_message(INCIDENTS, "U0DEV", "still there?")
    assert posted.deliveries[0].acked
    await socket_slack.wait_for(lambda: heard == ["still there?"])


async def test_the_envelope_protocol(clock: SimClock) -> None:
    async with SlackEmulator(clock=clock, delivery="socket", ack_timeout=0.5) as slack:
        opener = AsyncWebClient(token=slack.app_token, base_url=slack.api_url)
        url = (await opener.apps_connections_open(app_token=slack.app_token))["url"]
        assert url.startswith(f"ws://127.0.0.1:{slack.port}/")
        async with aiohttp.ClientSession() as http, http.ws_connect(url) as ws:
            hello = await ws.receive_json(timeout=10)
            assert hello["type"] == "hello" and hello["connection_info"]["app_id"] == "A0AOIAPP"
            posting = asyncio.ensure_future(slack.post_message(INCIDENTS, "U0DEV", "hi"))
            first = await ws.receive_json(timeout=10)
            assert first["type"] == "events_api" and first["accepts_response_payload"] is False
            assert first["retry_attempt"] == 0 and first["retry_reason"] == ""
            assert first["payload"]["event"]["text"] == "hi"
            retry = await ws.receive_json(timeout=10)  # no ack: Slack sends it again
            assert retry["retry_attempt"] == 1 and retry["retry_reason"] == "timeout"
            assert retry["envelope_id"] != first["envelope_id"]
            assert retry["payload"] == first["payload"]

            async def ack_everything() -> None:
                envelope = retry
                while True:
                    await ws.send_str(json.dumps({"envelope_id": envelope["envelope_id"]}))
                    envelope = await ws.receive_json()

            # Acks from now on; on a slow machine one may miss its 0.5 s and be retried.
            acking = asyncio.ensure_future(ack_everything())
            posted = await posting
            await slack.wait_for(lambda: any(d.acked for d in slack.deliveries()))
            acking.cancel()
            first_attempt, *retries = slack.deliveries()
            assert posted.deliveries == [first_attempt] and not first_attempt.acked
            assert first_attempt.error == "timeout" and retries[0].retry_num == 1
            assert retries[-1].acked and retries[-1].latency is not None
        # A ticket is good for one connection only.
        async with aiohttp.ClientSession() as http:
            with pytest.raises(aiohttp.WSServerHandshakeError):
                await http.ws_connect(url)


async def test_connections_open_needs_an_app_token(slack: SlackEmulator) -> None:
    client = AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)
    with pytest.raises(SlackApiError) as caught:
        await client.apps_connections_open(app_token="xapp-forged")
    assert caught.value.response["error"] == "invalid_auth"
