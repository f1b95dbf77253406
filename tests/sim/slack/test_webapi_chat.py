"""chat.* through the real slack_sdk AsyncWebClient: what is stored, and every error."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from sim.slack import SlackEmulator, Workspace
from sim.slack.workspace import Channel

INCIDENTS = "C0INCIDENT"
# Some calls leave `text` out on purpose; slack_sdk warns about that, rightly, elsewhere.
pytestmark = pytest.mark.filterwarnings("ignore:The top-level `text` argument:UserWarning")


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def button(label: str, action_id: str = "approve") -> dict[str, Any]:
    return {"type": "button", "action_id": action_id, "text": {"type": "plain_text", "text": label}}


async def error_of(call: Any) -> SlackApiError:
    with pytest.raises(SlackApiError) as caught:
        await call
    return caught.value


async def test_post_message_stores_the_message_with_increasing_ts(
    slack: SlackEmulator, client: AsyncWebClient
) -> None:
    first = await client.chat_postMessage(channel=INCIDENTS, text="first")
    second = await client.chat_postMessage(channel="#incidents", text="second")
    assert first["channel"] == second["channel"] == INCIDENTS
    assert float(second["ts"]) > float(first["ts"])
    message = second["message"]
    assert message["user"] == "U0AOIBOT" and message["bot_id"] == "B0AOIBOT"
    assert message["text"] == "second" and message["ts"] == second["ts"]
    assert [m.text for m in slack.messages(INCIDENTS)] == ["first", "second"]


async def test_many_posts_in_the_same_instant_get_unique_ts(client: AsyncWebClient) -> None:
    # The fixture's clock is frozen: every post happens "at once", as in a burst.
    answers = [await client.chat_postMessage(channel=INCIDENTS, text=str(i)) for i in range(5)]
    stamps = [a["ts"] for a in answers]
    assert stamps == sorted(stamps, key=float) and len(set(stamps)) == 5


async def test_replies_thread_under_their_parent(
    slack: SlackEmulator, client: AsyncWebClient
) -> None:
    parent = await client.chat_postMessage(channel=INCIDENTS, text="alert")
    reply = await client.chat_postMessage(channel=INCIDENTS, text="looking", thread_ts=parent["ts"])
    assert reply["message"]["thread_ts"] == parent["ts"]
    assert reply["message"]["parent_user_id"] == "U0AOIBOT"
    thread = await client.conversations_replies(channel=INCIDENTS, ts=parent["ts"])
    head, *rest = thread["messages"]
    assert head["reply_count"] == 1 and head["latest_reply"] == reply["ts"]
    assert [m["text"] for m in rest] == ["looking"]
    # A reply is not in the channel's history unless broadcast.
    await client.chat_postMessage(
        channel=INCIDENTS, text="also here", thread_ts=parent["ts"], reply_broadcast=True
    )
    history = await client.conversations_history(channel=INCIDENTS)
    assert [m["text"] for m in history["messages"]] == ["also here", "alert"]
    assert history["messages"][0]["subtype"] == "thread_broadcast"


async def test_metadata_and_unfurl_arguments_are_accepted(client: AsyncWebClient) -> None:
    metadata = {"event_type": "aoi_finding", "event_payload": {"incident": "inc-1"}}
    posted = await client.chat_postMessage(
        channel=INCIDENTS, text="x", metadata=metadata, unfurl_links=False, unfurl_media=False
    )
    assert posted["message"]["metadata"] == metadata
    plain = await client.conversations_history(channel=INCIDENTS)
    assert "metadata" not in plain["messages"][0]
    full = await client.conversations_history(channel=INCIDENTS, include_all_metadata=True)
    assert full["messages"][0]["metadata"] == metadata


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        ({"channel": "C0NOWHERE", "text": "x"}, "channel_not_found"),
        ({"channel": INCIDENTS}, "no_text"),
        ({"channel": INCIDENTS, "text": "x" * 40_001}, "msg_too_long"),
        ({"channel": INCIDENTS, "text": "x", "thread_ts": "1.000001"}, "thread_not_found"),
        ({"channel": "", "text": "x"}, "invalid_arguments"),
        ({"channel": INCIDENTS, "text": "x", "blocks": "[not json"}, "invalid_blocks_format"),
        (
            {"channel": INCIDENTS, "metadata": {"no": "type"}, "text": "x"},
            "invalid_metadata_format",
        ),
    ],
)
async def test_post_message_errors(
    client: AsyncWebClient, arguments: dict[str, Any], error: str
) -> None:
    failure = await error_of(client.chat_postMessage(**arguments))
    assert failure.response["ok"] is False and failure.response["error"] == error


async def test_text_of_exactly_the_limit_is_accepted(client: AsyncWebClient) -> None:
    assert (await client.chat_postMessage(channel=INCIDENTS, text="x" * 40_000))["ok"]


@pytest.mark.parametrize(
    ("blocks", "expected"),
    [
        ([section("x")] * 51, "no more than 50 items allowed [json-pointer:/blocks]"),
        (
            [section("x" * 3001)],
            "must be less than 3001 characters [json-pointer:/blocks/0/text/text]",
        ),
        (
            [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}],
            "must be less than 151 characters [json-pointer:/blocks/0/text/text]",
        ),
        (
            [{"type": "actions", "elements": [button("b" * 76)]}],
            "must be less than 76 characters [json-pointer:/blocks/0/elements/0/text/text]",
        ),
        (
            [{"type": "actions", "elements": [button("ok", f"a{i}") for i in range(26)]}],
            "no more than 25 items allowed [json-pointer:/blocks/0/elements]",
        ),
        (
            [{"type": "section", "txt": {"type": "mrkdwn", "text": "typo"}}],
            "invalid additional property: txt [json-pointer:/blocks/0]",
        ),
        ([{"type": "carousel"}], "failed to match all allowed schemas [json-pointer:/blocks/0]"),
    ],
)
async def test_invalid_blocks_are_refused_with_slacks_errors(
    client: AsyncWebClient, blocks: list[dict[str, Any]], expected: str
) -> None:
    failure = await error_of(client.chat_postMessage(channel=INCIDENTS, text="x", blocks=blocks))
    assert failure.response["error"] == "invalid_blocks"
    assert expected in failure.response["errors"]
    assert f"[ERROR] {expected}" in failure.response["response_metadata"]["messages"]


async def test_blocks_at_their_limits_are_accepted(client: AsyncWebClient) -> None:
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "h" * 150}},
        section("s" * 3000),
        {"type": "actions", "elements": [button("b" * 75, f"a{i}") for i in range(25)]},
        *[{"type": "divider"}] * 47,
    ]
    assert (await client.chat_postMessage(channel=INCIDENTS, text="x", blocks=blocks))["ok"]


async def test_a_channel_without_the_bot_refuses_posts_until_it_joins() -> None:
    workspace = Workspace()
    workspace.channels.append(Channel(id="C0QUIET", name="quiet", members=["U0DEV"]))
    async with SlackEmulator(workspace) as slack:
        client = AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)
        failure = await error_of(client.chat_postMessage(channel="C0QUIET", text="x"))
        assert failure.response["error"] == "not_in_channel"
        joined = await client.conversations_join(channel="C0QUIET")
        assert joined["channel"]["is_member"] is True
        again = await client.conversations_join(channel="C0QUIET")
        assert again["warning"] == "already_in_channel"
        assert (await client.chat_postMessage(channel="C0QUIET", text="x"))["ok"]


async def test_update_edits_and_keeps_blocks_it_is_not_given(
    slack: SlackEmulator, client: AsyncWebClient
) -> None:
    posted = await client.chat_postMessage(
        channel=INCIDENTS, text="Investigating", blocks=[section("step 1")]
    )
    updated = await client.chat_update(channel=INCIDENTS, ts=posted["ts"], text="Still going")
    assert updated["ts"] == posted["ts"] and updated["text"] == "Still going"
    [now] = slack.messages(INCIDENTS)
    assert now.text == "Still going" and now.edited and now.blocks == [section("step 1")]
    await client.chat_update(channel=INCIDENTS, ts=posted["ts"], blocks=[section("step 2")])
    assert slack.messages(INCIDENTS)[0].blocks == [section("step 2")]


async def test_update_errors(slack: SlackEmulator, client: AsyncWebClient) -> None:
    missing = await error_of(client.chat_update(channel=INCIDENTS, ts="1.000001", text="x"))
    assert missing.response["error"] == "message_not_found"
    human = await slack.post_message(INCIDENTS, "U0ONCALL", "mine")
    refused = await error_of(client.chat_update(channel=INCIDENTS, ts=human.ts, text="x"))
    assert refused.response["error"] == "cant_update_message"
    posted = await client.chat_postMessage(channel=INCIDENTS, text="x")
    empty = await error_of(client.chat_update(channel=INCIDENTS, ts=posted["ts"]))
    assert empty.response["error"] == "no_text"


async def test_ephemeral_messages_are_seen_only_by_their_user(
    slack: SlackEmulator, client: AsyncWebClient
) -> None:
    answer = await client.chat_postEphemeral(channel=INCIDENTS, user="U0DEV", text="only you")
    assert answer["message_ts"]
    [seen] = slack.ephemerals("U0DEV")
    assert seen.text == "only you" and seen.ephemeral_to == "U0DEV"
    assert slack.ephemerals("U0ONCALL") == [] and slack.messages(INCIDENTS) == []
    stranger = await error_of(
        client.chat_postEphemeral(channel=INCIDENTS, user="U0NOBODY", text="x")
    )
    assert stranger.response["error"] == "user_not_found"


async def test_ephemeral_to_someone_outside_the_channel_is_refused() -> None:
    workspace = Workspace()
    workspace.channels[0].members.remove("U0DEV")
    async with SlackEmulator(workspace) as slack:
        client = AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)
        failure = await error_of(
            client.chat_postEphemeral(channel=INCIDENTS, user="U0DEV", text="x")
        )
        assert failure.response["error"] == "user_not_in_channel"


async def test_delete_and_permalink(slack: SlackEmulator, client: AsyncWebClient) -> None:
    parent = await client.chat_postMessage(channel=INCIDENTS, text="parent")
    reply = await client.chat_postMessage(channel=INCIDENTS, text="reply", thread_ts=parent["ts"])
    link = await client.chat_getPermalink(channel=INCIDENTS, message_ts=reply["ts"])
    digits = reply["ts"].replace(".", "")
    assert link["permalink"] == (
        f"https://aoi-demo.slack.com/archives/{INCIDENTS}/p{digits}"
        f"?thread_ts={parent['ts']}&cid={INCIDENTS}"
    )
    await client.chat_delete(channel=INCIDENTS, ts=reply["ts"])
    assert [m.text for m in slack.thread(INCIDENTS, parent["ts"])] == ["parent"]
    gone = await error_of(client.chat_getPermalink(channel=INCIDENTS, message_ts=reply["ts"]))
    assert gone.response["error"] == "message_not_found"
    again = await error_of(client.chat_delete(channel=INCIDENTS, ts=reply["ts"]))
    assert again.response["error"] == "message_not_found"
    human = await slack.post_message(INCIDENTS, "U0DEV", "mine")
    refused = await error_of(client.chat_delete(channel=INCIDENTS, ts=human.ts))
    assert refused.response["error"] == "cant_delete_message"


async def test_deleting_a_parent_with_replies_leaves_a_tombstone(
    slack: SlackEmulator, client: AsyncWebClient
) -> None:
    parent = await client.chat_postMessage(channel=INCIDENTS, text="parent")
    await client.chat_postMessage(channel=INCIDENTS, text="reply", thread_ts=parent["ts"])
    await client.chat_delete(channel=INCIDENTS, ts=parent["ts"])
    head, reply = slack.thread(INCIDENTS, parent["ts"])
    assert head.raw["subtype"] == "tombstone" and reply.text == "reply"
