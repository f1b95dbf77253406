"""auth, tokens, conversations, reactions, users and user groups through slack_sdk, and how
arguments are read from the query string, form bodies and JSON bodies."""

from __future__ import annotations

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from sim.slack import SlackEmulator

INCIDENTS = "C0INCIDENT"


async def test_auth_test_names_the_bot(client: AsyncWebClient) -> None:
    answer = await client.auth_test()
    assert answer.data == {
        "ok": True,
        "url": "https://aoi-demo.slack.com/",
        "team": "AOI Demo",
        "user": "aoi",
        "team_id": "T0AOI",
        "user_id": "U0AOIBOT",
        "bot_id": "B0AOIBOT",
        "is_enterprise_install": False,
    }


@pytest.mark.parametrize(
    ("token", "error"),
    [(None, "not_authed"), ("xoxb-forged", "invalid_auth")],
)
async def test_calls_need_a_known_token(
    slack: SlackEmulator, token: str | None, error: str
) -> None:
    client = AsyncWebClient(token=token, base_url=slack.api_url)
    with pytest.raises(SlackApiError) as caught:
        await client.chat_postMessage(channel=INCIDENTS, text="x")
    assert caught.value.response["error"] == error
    assert slack.messages(INCIDENTS) == []


async def test_token_types_are_not_interchangeable(slack: SlackEmulator) -> None:
    app_client = AsyncWebClient(token=slack.app_token, base_url=slack.api_url)
    with pytest.raises(SlackApiError) as caught:
        await app_client.chat_postMessage(channel=INCIDENTS, text="x")
    assert caught.value.response["error"] == "not_allowed_token_type"
    bot_client = AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)
    with pytest.raises(SlackApiError) as caught:
        await bot_client.apps_connections_open(app_token=slack.bot_token)
    assert caught.value.response["error"] == "not_allowed_token_type"


async def test_unknown_method(client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as caught:
        await client.api_call("chat.teleport")
    assert caught.value.response["error"] == "unknown_method"


async def test_arguments_merge_query_form_and_json_and_token_may_be_an_argument(
    slack: SlackEmulator,
) -> None:
    async with aiohttp.ClientSession() as http:
        form = {"token": slack.bot_token, "text": "from a form"}
        url = f"{slack.api_url}chat.postMessage?channel={INCIDENTS}"
        async with http.post(url, data=form) as response:
            assert (await response.json())["ok"] is True
        headers = {"Authorization": f"Bearer {slack.bot_token}"}
        async with http.post(url, json={"text": "from JSON"}, headers=headers) as response:
            assert (await response.json())["ok"] is True
        async with http.post(
            url, data=b"{broken", headers=headers | {"Content-Type": "application/json"}
        ) as response:
            assert (await response.json())["error"] == "invalid_json"
    assert [m.text for m in slack.messages(INCIDENTS)] == ["from a form", "from JSON"]


async def test_every_call_is_recorded(slack: SlackEmulator, client: AsyncWebClient) -> None:
    await client.chat_postMessage(channel=INCIDENTS, text="hello")
    with pytest.raises(SlackApiError):
        await client.users_info(user="U0NOBODY")
    post, lookup = slack.calls()
    assert post.method == "chat.postMessage" and post.args["text"] == "hello" and post.ok
    assert post.token == slack.bot_token and post.status == 200
    assert lookup.method == "users.info" and lookup.error == "user_not_found"
    assert slack.calls("users.info") == [lookup]


async def test_conversations_info_and_list(client: AsyncWebClient) -> None:
    info = await client.conversations_info(channel=INCIDENTS)
    assert info["channel"]["name"] == "incidents" and info["channel"]["is_member"] is True
    listed = await client.conversations_list()
    assert [c["id"] for c in listed["channels"]] == [INCIDENTS]
    with pytest.raises(SlackApiError) as caught:
        await client.conversations_info(channel="C0NOWHERE")
    assert caught.value.response["error"] == "channel_not_found"


async def test_history_is_newest_first_within_its_window_and_pages(
    slack: SlackEmulator, client: AsyncWebClient
) -> None:
    stamps = [
        (await client.chat_postMessage(channel=INCIDENTS, text=str(i)))["ts"] for i in range(5)
    ]
    everything = await client.conversations_history(channel=INCIDENTS)
    assert [m["text"] for m in everything["messages"]] == ["4", "3", "2", "1", "0"]
    window = await client.conversations_history(
        channel=INCIDENTS, oldest=stamps[1], latest=stamps[4]
    )
    assert [m["text"] for m in window["messages"]] == ["3", "2"]
    inclusive = await client.conversations_history(
        channel=INCIDENTS, oldest=stamps[1], latest=stamps[4], inclusive=True
    )
    assert [m["text"] for m in inclusive["messages"]] == ["4", "3", "2", "1"]
    first = await client.conversations_history(channel=INCIDENTS, limit=2)
    assert [m["text"] for m in first["messages"]] == ["4", "3"] and first["has_more"] is True
    cursor = first["response_metadata"]["next_cursor"]
    rest = await client.conversations_history(channel=INCIDENTS, limit=10, cursor=cursor)
    assert [m["text"] for m in rest["messages"]] == ["2", "1", "0"] and rest["has_more"] is False


async def test_replies_start_from_any_message_of_the_thread(
    slack: SlackEmulator, client: AsyncWebClient
) -> None:
    alert = await slack.post_message(INCIDENTS, "U0ALERTS", "[FIRING:1] HighErrorRate")
    first = await client.chat_postMessage(channel=INCIDENTS, text="1", thread_ts=alert.ts)
    await slack.post_message(INCIDENTS, "U0ONCALL", "2", thread_ts=alert.ts)
    from_reply = await client.conversations_replies(channel=INCIDENTS, ts=first["ts"])
    texts = [m["text"] for m in from_reply["messages"]]
    assert texts == ["[FIRING:1] HighErrorRate", "1", "2"]
    with pytest.raises(SlackApiError) as caught:
        await client.conversations_replies(channel=INCIDENTS, ts="1.000001")
    assert caught.value.response["error"] == "thread_not_found"


async def test_reactions_add_get_remove_and_errors(
    slack: SlackEmulator, client: AsyncWebClient
) -> None:
    alert = await slack.post_message(INCIDENTS, "U0ALERTS", "[FIRING:1] HighErrorRate")
    await client.reactions_add(channel=INCIDENTS, timestamp=alert.ts, name="eyes")
    await slack.add_reaction("U0ONCALL", INCIDENTS, alert.ts, "thumbsup")
    got = await client.reactions_get(channel=INCIDENTS, timestamp=alert.ts)
    reactions = {r["name"]: r["users"] for r in got["message"]["reactions"]}
    assert reactions == {"eyes": ["U0AOIBOT"], "+1": ["U0ONCALL"]}
    with pytest.raises(SlackApiError) as caught:
        await client.reactions_add(channel=INCIDENTS, timestamp=alert.ts, name="eyes")
    assert caught.value.response["error"] == "already_reacted"
    await client.reactions_remove(channel=INCIDENTS, timestamp=alert.ts, name="eyes")
    assert slack.messages(INCIDENTS)[0].reactions == {"+1": ["U0ONCALL"]}
    with pytest.raises(SlackApiError) as caught:
        await client.reactions_remove(channel=INCIDENTS, timestamp=alert.ts, name="eyes")
    assert caught.value.response["error"] == "no_reaction"
    with pytest.raises(SlackApiError) as caught:
        await client.reactions_add(channel=INCIDENTS, timestamp="1.000001", name="eyes")
    assert caught.value.response["error"] == "message_not_found"


async def test_users_info_and_list(client: AsyncWebClient) -> None:
    dana = (await client.users_info(user="U0ONCALL"))["user"]
    assert dana["name"] == "dana" and dana["real_name"] == "Dana Reyes"
    assert dana["profile"]["display_name"] == "dana" and dana["is_bot"] is False
    assert dana["tz"]
    alerts = (await client.users_info(user="U0ALERTS"))["user"]
    assert alerts["is_bot"] is True and alerts["profile"]["bot_id"] == "B0ALERTMGR"
    members = (await client.users_list())["members"]
    assert {"U0AOIBOT", "U0ONCALL", "U0DEV", "U0ALERTS"} == {m["id"] for m in members}
    with pytest.raises(SlackApiError) as caught:
        await client.users_info(user="U0NOBODY")
    assert caught.value.response["error"] == "user_not_found"


async def test_usergroups(client: AsyncWebClient) -> None:
    groups = (await client.usergroups_list(include_users=True))["usergroups"]
    assert {g["handle"]: g["users"] for g in groups} == {"oncall": ["U0ONCALL"], "platform": []}
    oncall = await client.usergroups_users_list(usergroup="S0ONCALL")
    assert oncall["users"] == ["U0ONCALL"]
    with pytest.raises(SlackApiError) as caught:
        await client.usergroups_users_list(usergroup="S0NOBODY")
    assert caught.value.response["error"] == "no_such_subteam"


async def test_history_refuses_a_malformed_window(client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as caught:
        await client.conversations_history(channel=INCIDENTS, oldest="yesterday")
    assert caught.value.response["error"] == "invalid_ts_oldest"
