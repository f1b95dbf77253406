"""The inner `event` objects Slack sends for what happens in a channel, in Slack's shapes."""

from __future__ import annotations

import copy
import re
import uuid
from typing import Any

from sim.slack.state import Event, Message
from sim.slack.workspace import User, Workspace


def bot_profile(workspace: Workspace, user: User) -> dict[str, Any]:
    """The `bot_profile` Slack attaches to messages posted by an app's bot user."""
    return {
        "id": user.bot_id,
        "deleted": False,
        "name": user.name,
        "updated": 1_700_000_000,
        "app_id": user.app_id or workspace.app_id,
        "icons": {"image_36": "", "image_48": "", "image_72": ""},
        "team_id": workspace.team_id,
    }


def rich_text(text: str) -> list[dict[str, Any]]:
    """The rich_text block Slack's clients attach to a message a person types."""
    elements: list[dict[str, Any]] = []
    for part in re.split(r"(<@[A-Z0-9]+>)", text):
        mention = re.fullmatch(r"<@([A-Z0-9]+)>", part)
        if mention:
            elements.append({"type": "user", "user_id": mention.group(1)})
        elif part:
            elements.append({"type": "text", "text": part})
    block_id = uuid.uuid5(uuid.NAMESPACE_URL, text).hex[:5]
    return [
        {
            "type": "rich_text",
            "block_id": block_id,
            "elements": [{"type": "rich_text_section", "elements": elements}],
        }
    ]


def message_event(channel: str, message: Message) -> Event:
    """A `message` event for a stored message (what message.channels subscribers get)."""
    event = copy.deepcopy(message)
    event.pop("reactions", None)
    # Thread bookkeeping belongs to the parent as history shows it, not to the event.
    for key in ("reply_count", "reply_users", "reply_users_count", "latest_reply"):
        event.pop(key, None)
    event.update(channel=channel, event_ts=message["ts"], channel_type="channel")
    return event


def mentions(text: str, user_id: str) -> bool:
    """Whether `text` mentions `user_id` the way Slack encodes it (`<@U...>`)."""
    return re.search(rf"<@{re.escape(user_id)}(\|[^>]*)?>", text) is not None


def app_mention_event(channel: str, message: Message) -> Event:
    """The `app_mention` event Slack sends alongside a message that mentions the app."""
    event: Event = {"type": "app_mention"}
    for key in ("user", "bot_id", "username", "text", "ts", "team", "thread_ts"):
        if key in message:
            event[key] = copy.deepcopy(message[key])
    for key in ("client_msg_id", "blocks", "attachments"):
        if key in message:
            event[key] = copy.deepcopy(message[key])
    event.update(channel=channel, event_ts=message["ts"])
    return event


def changed_event(channel: str, message: Message, previous: Message, ts: str) -> Event:
    """`message` / `message_changed`: an edit, carrying the new and previous message."""
    return {
        "type": "message",
        "subtype": "message_changed",
        "message": copy.deepcopy(message),
        "previous_message": copy.deepcopy(previous),
        "channel": channel,
        "hidden": True,
        "ts": ts,
        "event_ts": ts,
        "channel_type": "channel",
    }


def deleted_event(channel: str, previous: Message, ts: str) -> Event:
    """`message` / `message_deleted`."""
    return {
        "type": "message",
        "subtype": "message_deleted",
        "hidden": True,
        "deleted_ts": previous["ts"],
        "previous_message": copy.deepcopy(previous),
        "channel": channel,
        "ts": ts,
        "event_ts": ts,
        "channel_type": "channel",
    }


def reaction_event(
    kind: str, user: str, name: str, channel: str, message: Message, event_ts: str
) -> Event:
    """`reaction_added` or `reaction_removed` on a message."""
    event: Event = {
        "type": kind,
        "user": user,
        "reaction": name,
        "item": {"type": "message", "channel": channel, "ts": message["ts"]},
        "event_ts": event_ts,
    }
    author = message.get("user")
    if author:
        event["item_user"] = author
    return event


def member_joined_event(workspace: Workspace, user: str, channel: str, event_ts: str) -> Event:
    return {
        "type": "member_joined_channel",
        "user": user,
        "channel": channel,
        "channel_type": "C",
        "team": workspace.team_id,
        "event_ts": event_ts,
    }
