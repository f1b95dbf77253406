"""What a person reads (Block Kit as text, a thread as a transcript), the seed workspace, and
the emulator from synchronous code in a thread of its own."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from slack_sdk.web.async_client import AsyncWebClient

from sim.slack import SlackEmulator, Workspace, render_blocks, validate_blocks

INCIDENTS = "C0INCIDENT"

FINDING: list[dict[str, Any]] = [
    {"type": "header", "text": {"type": "plain_text", "text": "Root cause: wrong targetPort"}},
    {
        "type": "section",
        "text": {"type": "mrkdwn", "text": "Service checkout sends to 8081; <@U0ONCALL> see"},
        "fields": [{"type": "mrkdwn", "text": "*Confidence* 0.9"}],
        "accessory": {
            "type": "button",
            "action_id": "logs",
            "text": {"type": "plain_text", "text": "Logs"},
        },
    },
    {"type": "context", "elements": [{"type": "mrkdwn", "text": "<https://grafana/d|dashboard>"}]},
    {"type": "divider"},
    {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "action_id": "approve",
                "text": {"type": "plain_text", "text": "Approve"},
            },
            {
                "type": "button",
                "action_id": "reject",
                "text": {"type": "plain_text", "text": "Reject"},
            },
        ],
    },
]


def test_blocks_render_as_readable_text() -> None:
    names = {"U0ONCALL": "dana"}
    assert render_blocks(FINDING, lambda user: names.get(user, user)).splitlines() == [
        "# Root cause: wrong targetPort",
        "Service checkout sends to 8081; @dana see",
        "*Confidence* 0.9",
        "[Logs]",
        "dashboard (https://grafana/d)",
        "---",
        "[Approve] [Reject]",
    ]
    assert validate_blocks(FINDING) == []


def test_duplicate_block_ids_are_refused() -> None:
    blocks = [{"type": "divider", "block_id": "x"}, {"type": "divider", "block_id": "x"}]
    assert validate_blocks(blocks) == ["duplicate block_id: x [json-pointer:/blocks/1/block_id]"]


async def test_a_thread_reads_as_a_transcript(slack: SlackEmulator, client: AsyncWebClient) -> None:
    alert = await slack.post_message(
        INCIDENTS,
        "U0ALERTS",
        "",
        attachments=[{"title": "[FIRING:1] KubePodCrashLooping", "text": "pod checkout-7d9"}],
    )
    finding = await client.chat_postMessage(
        channel=INCIDENTS, thread_ts=alert.ts, text="Finding", blocks=FINDING
    )
    await slack.add_reaction("U0ONCALL", INCIDENTS, finding["ts"], "thumbsup")
    await slack.post_message(INCIDENTS, "U0DEV", "<@U0AOIBOT> thanks", thread_ts=alert.ts)
    await client.chat_update(channel=INCIDENTS, ts=finding["ts"], text="Finding")
    lines = slack.transcript(INCIDENTS, alert.ts).splitlines()
    assert lines[0].endswith(" Alertmanager: [FIRING:1] KubePodCrashLooping")
    assert lines[1] == "    pod checkout-7d9"
    assert lines[2].startswith("  | ") and lines[2].endswith(" AOI: # Root cause: wrong targetPort")
    assert "  |     [Approve] [Reject]" in lines
    assert "  |     (edited)  :+1: dana" in lines
    assert lines[-1].endswith(" lee: @AOI thanks")
    parent, reply, last = slack.thread(INCIDENTS, alert.ts)
    assert parent.author == "Alertmanager" and parent.bot_id == "B0ALERTMGR"
    assert [b.action_id for b in reply.buttons()] == ["logs", "approve", "reject"]
    assert reply.reactions == {"+1": ["U0ONCALL"]} and reply.edited and last.is_reply


def test_the_seed_workspace_is_the_demos() -> None:
    workspace = Workspace()
    incidents = workspace.channel("#incidents")
    assert incidents is not None and incidents.id == INCIDENTS
    dana, lee, alerts = (workspace.user(u) for u in ("U0ONCALL", "U0DEV", "U0ALERTS"))
    assert dana is not None and dana.name == "dana" and not dana.is_bot
    assert lee is not None and lee.name == "lee"
    assert (
        alerts is not None and alerts.bot_id == "B0ALERTMGR" and alerts.real_name == "Alertmanager"
    )
    oncall, platform = workspace.usergroups
    assert (oncall.id, oncall.handle, oncall.members) == ("S0ONCALL", "oncall", ["U0ONCALL"])
    assert (platform.id, platform.handle) == ("S0PLATFORM", "platform")
    assert workspace.bot_user().bot_id == "B0AOIBOT"
    # A workspace without its bot user gets one: the app must exist to be talked to.
    bare = Workspace(users=[], channels=[])
    assert bare.user("U0AOIBOT") is not None


def test_a_synchronous_caller_uses_the_emulator_from_its_own_thread() -> None:
    with SlackEmulator.start_in_thread() as running:
        client = WebClient(token=running.emulator.bot_token, base_url=running.api_url)
        posted = client.chat_postMessage(channel=INCIDENTS, text="from sync code")
        running.run(
            running.emulator.post_message(INCIDENTS, "U0ONCALL", "hi", thread_ts=posted["ts"])
        )
        texts = running.call(
            lambda: [m.text for m in running.emulator.thread(INCIDENTS, posted["ts"])]
        )
        assert texts == ["from sync code", "hi"]
        assert (
            client.conversations_replies(channel=INCIDENTS, ts=posted["ts"])["messages"][1]["user"]
            == "U0ONCALL"
        )
