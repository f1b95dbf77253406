"""Buttons, modals and slash commands: the interactions a real bolt AsyncApp receives from
the emulator, and what the app's answers (acks, response_urls, views.*) do to the workspace."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from sim.clock import SimClock
from sim.slack import SlackEmulator
from tests.sim.slack.conftest import BoltServer

INCIDENTS = "C0INCIDENT"

APPROVAL: list[dict[str, Any]] = [
    {"type": "section", "block_id": "finding", "text": {"type": "mrkdwn", "text": "Scale up?"}},
    {
        "type": "actions",
        "block_id": "decide",
        "elements": [
            {
                "type": "button",
                "action_id": "approve",
                "text": {"type": "plain_text", "text": "Approve"},
                "value": "act-1",
                "style": "primary",
            },
            {
                "type": "button",
                "action_id": "reject",
                "text": {"type": "plain_text", "text": "Reject"},
                "value": "act-1",
            },
        ],
    },
]

MODAL: dict[str, Any] = {
    "type": "modal",
    "callback_id": "reject_reason",
    "private_metadata": "act-1",
    "title": {"type": "plain_text", "text": "Why reject?"},
    "submit": {"type": "plain_text", "text": "Send"},
    "blocks": [
        {
            "type": "input",
            "block_id": "reason",
            "label": {"type": "plain_text", "text": "Reason"},
            "element": {"type": "plain_text_input", "action_id": "text"},
        }
    ],
}


async def post_approval(client: AsyncWebClient) -> str:
    posted = await client.chat_postMessage(channel=INCIDENTS, text="Scale up?", blocks=APPROVAL)
    return str(posted["ts"])


async def test_a_click_sends_block_actions_and_respond_replaces_the_message(
    slack: SlackEmulator, bolt: BoltServer
) -> None:
    bodies: list[dict[str, Any]] = []

    @bolt.app.action("approve")
    async def approve(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        bodies.append(body)
        await respond(replace_original=True, text="Approved by dana")

    ts = await post_approval(bolt.app.client)
    delivery = await slack.click("U0ONCALL", INCIDENTS, ts, "approve")
    assert delivery.acked and delivery.status == 200
    await slack.wait_for(lambda: slack.messages(INCIDENTS)[0].text == "Approved by dana")
    [body] = bodies
    assert body["type"] == "block_actions" and body["user"]["id"] == "U0ONCALL"
    assert body["container"] == {
        "type": "message",
        "message_ts": ts,
        "channel_id": INCIDENTS,
        "is_ephemeral": False,
    }
    assert body["channel"] == {"id": INCIDENTS, "name": "incidents"}
    assert body["team"]["id"] == "T0AOI" and body["api_app_id"] == "A0AOIAPP"
    assert body["message"]["blocks"] == APPROVAL and body["trigger_id"]
    [action] = body["actions"]
    assert action["action_id"] == "approve" and action["block_id"] == "decide"
    assert action["value"] == "act-1" and action["type"] == "button"
    assert action["text"]["text"] == "Approve" and action["style"] == "primary"
    [message] = slack.messages(INCIDENTS)
    assert message.blocks == [] and message.buttons() == []
    assert slack.response_posts[-1].outcome == "replaced"


async def test_respond_can_delete_the_source_message(
    slack: SlackEmulator, bolt: BoltServer
) -> None:
    @bolt.app.action("reject")
    async def reject(ack: AsyncAck, respond: AsyncRespond) -> None:
        await ack()
        await respond(delete_original=True)

    ts = await post_approval(bolt.app.client)
    await slack.click("U0DEV", INCIDENTS, ts, "reject")
    await slack.wait_for(lambda: slack.messages(INCIDENTS) == [])
    await slack.idle()
    deleted = [d for d in slack.deliveries("event") if d.body["event"].get("deleted_ts") == ts]
    assert deleted and deleted[0].body["event"]["subtype"] == "message_deleted"


async def test_views_open_needs_a_fresh_trigger(
    slack: SlackEmulator, bolt: BoltServer, clock: SimClock
) -> None:
    opened: list[str] = []
    failures: list[str] = []

    async def open_modal(body: dict[str, Any], client: AsyncWebClient) -> None:
        try:
            answer = await client.views_open(trigger_id=body["trigger_id"], view=MODAL)
            opened.append(answer["view"]["id"])
        except SlackApiError as error:
            failures.append(error.response["error"])

    @bolt.app.action("reject")
    async def reject(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await open_modal(body, client)

    ts = await post_approval(bolt.app.client)
    await slack.click("U0ONCALL", INCIDENTS, ts, "reject")
    [view_id] = await slack.wait_for(lambda: opened)
    view = slack.view(view_id)
    assert view is not None and view["is_open"] and view["callback_id"] == "reject_reason"
    assert view["id"].startswith("V") and view["private_metadata"] == "act-1"

    # Another click, but the app is slow: Slack's 3 s are over before it calls views.open.
    @bolt.app.action("approve")
    async def late(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        clock.advance(3.5)
        await open_modal(body, client)

    await slack.click("U0ONCALL", INCIDENTS, ts, "approve")
    assert await slack.wait_for(lambda: failures) == ["expired_trigger_id"]


async def test_a_trigger_opens_one_view_only(slack: SlackEmulator, client: AsyncWebClient) -> None:
    ts = await post_approval(client)
    click = await slack.click("U0ONCALL", INCIDENTS, ts, "reject")  # no app: not delivered
    assert click.error == "no_request_url"
    trigger_id = click.body["trigger_id"]
    await client.views_open(trigger_id=trigger_id, view=MODAL)
    for trigger, error in [(trigger_id, "exchanged_trigger_id"), ("1.2.3", "invalid_trigger_id")]:
        with pytest.raises(SlackApiError) as caught:
            await client.views_open(trigger_id=trigger, view=MODAL)
        assert caught.value.response["error"] == error
    bad = dict(MODAL, title={"type": "plain_text", "text": "x" * 25})
    fresh = (await slack.click("U0ONCALL", INCIDENTS, ts, "reject")).body["trigger_id"]
    with pytest.raises(SlackApiError) as caught:
        await client.views_open(trigger_id=fresh, view=bad)
    assert caught.value.response["error"] == "invalid_arguments"
    assert caught.value.response["response_metadata"]["messages"] == [
        "[ERROR] must be less than 25 characters [json-pointer:/view/title/text]"
    ]


async def test_views_update_and_push(slack: SlackEmulator, client: AsyncWebClient) -> None:
    ts = await post_approval(client)
    trigger = (await slack.click("U0ONCALL", INCIDENTS, ts, "reject")).body["trigger_id"]
    view = (await client.views_open(trigger_id=trigger, view=MODAL))["view"]
    changed = dict(MODAL, title={"type": "plain_text", "text": "Reason, please"})
    updated = await client.views_update(view_id=view["id"], view=changed, hash=view["hash"])
    assert updated["view"]["id"] == view["id"] and updated["view"]["hash"] != view["hash"]
    with pytest.raises(SlackApiError) as caught:
        await client.views_update(view_id=view["id"], view=changed, hash=view["hash"])
    assert caught.value.response["error"] == "hash_conflict"
    trigger = (await slack.click("U0ONCALL", INCIDENTS, ts, "reject")).body["trigger_id"]
    pushed = (await client.views_push(trigger_id=trigger, view=MODAL))["view"]
    assert pushed["previous_view_id"] == view["id"] and pushed["root_view_id"] == view["id"]
    trigger = (await slack.click("U0ONCALL", INCIDENTS, ts, "reject")).body["trigger_id"]
    await client.views_push(trigger_id=trigger, view=MODAL)
    trigger = (await slack.click("U0ONCALL", INCIDENTS, ts, "reject")).body["trigger_id"]
    with pytest.raises(SlackApiError) as caught:
        await client.views_push(trigger_id=trigger, view=MODAL)
    assert caught.value.response["error"] == "push_limit_reached"
    with pytest.raises(SlackApiError) as caught:
        await client.views_update(view_id="V0NOWHERE", view=MODAL)
    assert caught.value.response["error"] == "not_found"


async def test_submitting_a_modal_sends_its_state_and_honours_errors(
    slack: SlackEmulator, bolt: BoltServer
) -> None:
    submissions: list[dict[str, Any]] = []

    @bolt.app.action("reject")
    async def reject(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await client.views_open(trigger_id=body["trigger_id"], view=MODAL)

    @bolt.app.view("reject_reason")
    async def submitted(ack: AsyncAck, view: dict[str, Any], body: dict[str, Any]) -> None:
        submissions.append(body)
        reason = view["state"]["values"]["reason"]["text"]["value"]
        if len(reason) < 5:
            await ack(response_action="errors", errors={"reason": "Say a little more"})
        else:
            await ack()

    ts = await post_approval(bolt.app.client)
    await slack.click("U0ONCALL", INCIDENTS, ts, "reject")
    [view] = await slack.wait_for(lambda: slack.open_views("U0ONCALL"))
    view_id = view["id"]
    short = await slack.submit_view("U0ONCALL", view_id, {"reason": {"text": "no"}})
    assert short.response == {
        "response_action": "errors",
        "errors": {"reason": "Say a little more"},
    }
    assert slack.view(view_id)["is_open"] is True  # type: ignore[index]
    await slack.submit_view("U0ONCALL", view_id, {"reason": {"text": "wrong namespace"}})
    assert slack.view(view_id)["is_open"] is False  # type: ignore[index]
    body = submissions[-1]
    assert body["type"] == "view_submission" and body["user"]["id"] == "U0ONCALL"
    assert body["view"]["callback_id"] == "reject_reason"
    assert body["view"]["private_metadata"] == "act-1"
    assert body["view"]["state"]["values"] == {
        "reason": {"text": {"type": "plain_text_input", "value": "wrong namespace"}}
    }


async def test_slash_command_replies_in_the_ack_and_through_its_response_url(
    slack: SlackEmulator, bolt: BoltServer
) -> None:
    commands: list[dict[str, Any]] = []

    @bolt.app.command("/aoi")
    async def aoi(ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond) -> None:
        commands.append(command)
        await ack(text="Looking into it")
        await respond(response_type="in_channel", text=f"Status of {command['text']}: ok")

    delivery = await slack.slash_command("U0DEV", INCIDENTS, "/aoi", "checkout")
    assert delivery.acked
    [only_lee] = slack.ephemerals("U0DEV")
    assert only_lee.text == "Looking into it"
    await slack.wait_for(lambda: slack.messages(INCIDENTS))
    assert slack.messages(INCIDENTS)[0].text == "Status of checkout: ok"
    [command] = commands
    assert command["command"] == "/aoi" and command["text"] == "checkout"
    assert command["user_id"] == "U0DEV" and command["channel_id"] == INCIDENTS
    assert command["team_id"] == "T0AOI" and command["api_app_id"] == "A0AOIAPP"
    assert command["response_url"].startswith(slack.base_url) and command["trigger_id"]


async def test_ephemeral_buttons_and_response_url_limits(
    slack: SlackEmulator, bolt: BoltServer
) -> None:
    clicks: list[dict[str, Any]] = []

    @bolt.app.action("approve")
    async def approve(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        clicks.append(body)

    answer = await bolt.app.client.chat_postEphemeral(
        channel=INCIDENTS, user="U0ONCALL", text="Approve?", blocks=APPROVAL
    )
    with pytest.raises(ValueError, match="cannot see"):
        await slack.click("U0DEV", INCIDENTS, answer["message_ts"], "approve")
    await slack.click("U0ONCALL", INCIDENTS, answer["message_ts"], "approve")
    [body] = await slack.wait_for(lambda: clicks)
    assert body["container"]["is_ephemeral"] is True and "message" not in body
    url = body["response_url"]
    async with aiohttp.ClientSession() as http:
        statuses = []
        for i in range(6):
            async with http.post(url, json={"replace_original": True, "text": f"v{i}"}) as r:
                statuses.append(r.status)
    assert statuses == [200] * 5 + [404]
    assert slack.ephemerals("U0ONCALL")[0].text == "v4"
    assert slack.response_posts[-1].outcome == "used_url"
