"""Events a real slack_bolt AsyncApp receives from the emulator over signed HTTP."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.say.async_say import AsyncSay

from sim.slack import SlackEmulator
from tests.sim.slack.conftest import BoltServer

INCIDENTS = "C0INCIDENT"


async def test_a_message_reaches_the_app_and_its_reply_lands_in_the_thread(
    slack: SlackEmulator, bolt: BoltServer
) -> None:
    seen: list[dict[str, Any]] = []

    @bolt.app.message("FIRING")
    async def on_alert(message: dict[str, Any], say: AsyncSay) -> None:
        seen.append(message)
        await say(text="Investigating", thread_ts=message["ts"])

    posted = await slack.post_message(INCIDENTS, "U0ONCALL", "[FIRING:1] HighErrorRate")
    [delivery] = posted.deliveries
    assert delivery.acked and delivery.status == 200 and delivery.latency is not None
    assert delivery.body["type"] == "event_callback" and delivery.body["event_id"].startswith("Ev")
    await slack.wait_for(lambda: len(slack.thread(INCIDENTS, posted.ts)) == 2)
    [event] = seen
    assert event["user"] == "U0ONCALL" and event["channel"] == INCIDENTS
    assert event["channel_type"] == "channel" and event["client_msg_id"]
    parent, reply = slack.thread(INCIDENTS, posted.ts)
    assert (parent.author, reply.author, reply.text) == ("dana", "AOI", "Investigating")
    # bolt called auth.test (lazily, on the first event) to learn who it is.
    assert slack.calls("auth.test")


async def test_the_apps_own_messages_come_back_as_events_that_bolt_drops(
    slack: SlackEmulator, bolt: BoltServer
) -> None:
    heard: list[str] = []

    @bolt.app.message("")
    async def on_any(message: dict[str, Any], say: AsyncSay) -> None:
        heard.append(message["text"])
        await say(text=f"echo {message['text']}")

    await slack.post_message(INCIDENTS, "U0DEV", "one")
    await slack.wait_for(lambda: len(slack.messages(INCIDENTS)) == 2)
    await slack.idle()
    echo = [d for d in slack.deliveries("event") if d.body["event"].get("user") == "U0AOIBOT"]
    assert echo and echo[0].acked and echo[0].body["event"]["bot_id"] == "B0AOIBOT"
    # One more round trip: had bolt handled its own echo, "echo one" would be heard by now.
    await slack.post_message(INCIDENTS, "U0DEV", "two")
    await slack.wait_for(lambda: len(slack.messages(INCIDENTS)) == 4)
    assert heard == ["one", "two"]


async def test_alertmanager_posts_as_a_webhook_bot_message(
    slack: SlackEmulator, bolt: BoltServer
) -> None:
    events: list[dict[str, Any]] = []

    @bolt.app.event({"type": "message", "subtype": "bot_message"})
    async def on_bot(event: dict[str, Any]) -> None:
        events.append(event)

    attachment = {"title": "[FIRING:1] KubePodCrashLooping", "text": "pod api-1", "color": "danger"}
    await slack.post_message(INCIDENTS, "U0ALERTS", "", attachments=[attachment])
    [event] = await slack.wait_for(lambda: events)
    assert event["subtype"] == "bot_message" and event["bot_id"] == "B0ALERTMGR"
    assert event["username"] == "Alertmanager" and "user" not in event
    assert event["attachments"] == [attachment]


async def test_a_mention_also_sends_app_mention(slack: SlackEmulator, bolt: BoltServer) -> None:
    mentions: list[dict[str, Any]] = []

    @bolt.app.event("app_mention")
    async def on_mention(event: dict[str, Any]) -> None:
        mentions.append(event)

    posted = await slack.post_message(INCIDENTS, "U0ONCALL", "<@U0AOIBOT> what broke?")
    assert [d.event_type for d in posted.deliveries] == ["message", "app_mention"]
    [mention] = await slack.wait_for(lambda: mentions)
    assert mention["user"] == "U0ONCALL" and mention["ts"] == posted.ts
    assert mention["text"] == "<@U0AOIBOT> what broke?" and mention["channel"] == INCIDENTS
    plain = await slack.post_message(INCIDENTS, "U0ONCALL", "no mention here")
    assert [d.event_type for d in plain.deliveries] == ["message"]


async def test_reactions_arrive_with_their_item(slack: SlackEmulator, bolt: BoltServer) -> None:
    events: list[dict[str, Any]] = []

    @bolt.app.event("reaction_added")
    async def added(event: dict[str, Any]) -> None:
        events.append(event)

    @bolt.app.event("reaction_removed")
    async def removed(event: dict[str, Any]) -> None:
        events.append(event)

    finding = await bolt.app.client.chat_postMessage(channel=INCIDENTS, text="Root cause: ...")
    await slack.add_reaction("U0ONCALL", INCIDENTS, finding["ts"], "thumbsdown")
    await slack.remove_reaction("U0ONCALL", INCIDENTS, finding["ts"], "-1")
    added_event, removed_event = await slack.wait_for(lambda: events if len(events) == 2 else None)
    assert added_event["type"] == "reaction_added" and removed_event["type"] == "reaction_removed"
    for event in (added_event, removed_event):
        assert event["user"] == "U0ONCALL" and event["reaction"] == "-1"
        assert event["item"] == {"type": "message", "channel": INCIDENTS, "ts": finding["ts"]}
        assert event["item_user"] == "U0AOIBOT"


async def test_no_channel_events_reach_an_app_outside_the_channel(
    slack: SlackEmulator, bolt: BoltServer
) -> None:
    slack.workspace.channels[0].members.remove("U0AOIBOT")
    posted = await slack.post_message(INCIDENTS, "U0ONCALL", "<@U0AOIBOT> hello?")
    assert posted.deliveries == [] and bolt.requests == []


async def test_url_verification(slack: SlackEmulator, bolt: BoltServer) -> None:
    assert await slack.verify_url() is True
