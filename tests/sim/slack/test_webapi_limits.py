"""Rate limits and injected failures, as slack_sdk (and its retry handlers) meet them."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from sim.clock import SimClock
from sim.slack import SlackEmulator, Workspace
from sim.slack.workspace import Channel

INCIDENTS = "C0INCIDENT"


async def test_ratelimited_answers_429_with_retry_after(
    slack: SlackEmulator, client: AsyncWebClient
) -> None:
    slack.rate_limit("chat.postMessage", times=1, retry_after=7)
    with pytest.raises(SlackApiError) as caught:
        await client.chat_postMessage(channel=INCIDENTS, text="x")
    response = caught.value.response
    assert response.status_code == 429 and response["error"] == "ratelimited"
    assert response.headers["Retry-After"] == "7"
    assert slack.messages(INCIDENTS) == []
    assert (await client.chat_postMessage(channel=INCIDENTS, text="x"))["ok"]


async def test_slack_sdk_retries_a_rate_limited_call_after_retry_after(
    slack: SlackEmulator,
) -> None:
    # Retry-After 0 keeps the test quick; slack_sdk still waits it out (plus jitter).
    slack.rate_limit("reactions.add", times=1, retry_after=0)
    client = AsyncWebClient(
        token=slack.bot_token,
        base_url=slack.api_url,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=2)],
    )
    posted = await client.chat_postMessage(channel=INCIDENTS, text="x")
    answer = await client.reactions_add(channel=INCIDENTS, timestamp=posted["ts"], name="eyes")
    assert answer["ok"] is True
    assert [c.status for c in slack.calls("reactions.add")] == [429, 200]
    assert slack.messages(INCIDENTS)[0].reactions == {"eyes": ["U0AOIBOT"]}


async def test_injected_failures_answer_the_next_calls_then_stop(
    slack: SlackEmulator, client: AsyncWebClient
) -> None:
    slack.fail("chat.update", error="internal_error", times=1)
    posted = await client.chat_postMessage(channel=INCIDENTS, text="x")
    with pytest.raises(SlackApiError) as caught:
        await client.chat_update(channel=INCIDENTS, ts=posted["ts"], text="y")
    assert caught.value.response["error"] == "internal_error"
    assert slack.messages(INCIDENTS)[0].text == "x"
    await client.chat_update(channel=INCIDENTS, ts=posted["ts"], text="y")
    assert slack.messages(INCIDENTS)[0].text == "y"


async def test_a_server_error_status_is_retried_by_slack_sdks_handler(
    slack: SlackEmulator,
) -> None:
    slack.fail("users.info", error="service_unavailable", times=1, status=503)
    client = AsyncWebClient(
        token=slack.bot_token,
        base_url=slack.api_url,
        retry_handlers=[AsyncServerErrorRetryHandler(max_retry_count=1)],
    )
    assert (await client.users_info(user="U0ONCALL"))["user"]["name"] == "dana"
    assert [c.status for c in slack.calls("users.info")] == [503, 200]


async def test_per_channel_throttle_refuses_bursts_until_time_moves_on(clock: SimClock) -> None:
    workspace = Workspace()
    workspace.channels.append(Channel(id="C0OTHER", name="other", members=["U0AOIBOT"]))
    async with SlackEmulator(workspace, clock=clock) as slack:
        slack.throttle("chat.update", per_second=1.0)
        client = AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)
        here = await client.chat_postMessage(channel=INCIDENTS, text="0")
        there = await client.chat_postMessage(channel="C0OTHER", text="0")
        await client.chat_update(channel=INCIDENTS, ts=here["ts"], text="1")
        with pytest.raises(SlackApiError) as caught:
            await client.chat_update(channel=INCIDENTS, ts=here["ts"], text="2")
        assert caught.value.response.status_code == 429
        assert caught.value.response.headers["Retry-After"] == "1"
        # Another channel has a bucket of its own.
        await client.chat_update(channel="C0OTHER", ts=there["ts"], text="1")
        clock.advance(1.0)
        await client.chat_update(channel=INCIDENTS, ts=here["ts"], text="2")
        assert slack.messages(INCIDENTS)[0].text == "2"


async def test_no_throttle_by_default(client: AsyncWebClient) -> None:
    posted = await client.chat_postMessage(channel=INCIDENTS, text="0")
    for i in range(5):
        await client.chat_update(channel=INCIDENTS, ts=posted["ts"], text=str(i))
