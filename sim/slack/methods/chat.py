"""chat.*: posting, editing and deleting the app's messages, ephemeral messages, permalinks."""

from __future__ import annotations

import copy
from typing import Any

from sim.slack.blocks import validate_blocks
from sim.slack.events import bot_profile, changed_event, deleted_event, message_event
from sim.slack.methods.base import (
    Answer,
    Args,
    SlackError,
    bool_arg,
    json_arg,
    method,
    required,
    text_arg,
)
from sim.slack.state import Message, SlackState
from sim.slack.workspace import Channel

MAX_TEXT = 40_000


def member_channel(state: SlackState, args: Args, name: str = "channel") -> Channel:
    """The channel an argument names, which the bot must be in to write or read."""
    channel = state.workspace.channel(required(args, name))
    bot = state.workspace.bot_user_id
    if channel is None or (channel.is_private and bot not in channel.members):
        raise SlackError("channel_not_found")
    if bot not in channel.members:
        raise SlackError("not_in_channel")
    return channel


def message_content(args: Args, partial: bool = False) -> dict[str, Any]:
    """text/blocks/attachments/metadata checked as Slack checks them; only those given.

    Raises SlackError (no_text, msg_too_long, invalid_blocks, ...) as chat.postMessage does.
    """
    content: dict[str, Any] = {}
    text = args.get("text")
    if text is not None:
        if not isinstance(text, str):
            raise SlackError("invalid_arguments")
        if len(text) > MAX_TEXT:
            raise SlackError("msg_too_long")
        content["text"] = text
    blocks = json_arg(args, "blocks", "invalid_blocks_format")
    if blocks is not None:
        errors = validate_blocks(blocks)
        if errors:
            raise SlackError(
                "invalid_blocks",
                errors=errors,
                response_metadata={"messages": [f"[ERROR] {e}" for e in errors]},
            )
        content["blocks"] = blocks
    attachments = json_arg(args, "attachments", "invalid_attachments")
    if attachments is not None:
        if not isinstance(attachments, list) or not all(isinstance(a, dict) for a in attachments):
            raise SlackError("invalid_attachments")
        content["attachments"] = attachments
    metadata = json_arg(args, "metadata", "invalid_metadata_format")
    if metadata is not None:
        if not isinstance(metadata, dict) or not isinstance(metadata.get("event_type"), str):
            raise SlackError("invalid_metadata_format")
        content["metadata"] = metadata
    if not partial and not (content.get("text") or content.get("blocks") or attachments):
        raise SlackError("no_text")
    return content


def bot_message(state: SlackState, content: dict[str, Any]) -> Message:
    """A new message by the app's bot user, with a fresh ts, not yet stored."""
    ws = state.workspace
    bot = ws.bot_user()
    message: Message = {
        "user": bot.id,
        "type": "message",
        "ts": state.new_ts(),
        "bot_id": ws.bot_id,
        "app_id": ws.app_id,
        "text": content.get("text", ""),
        "team": ws.team_id,
        "bot_profile": bot_profile(ws, bot),
    }
    message.update(copy.deepcopy({k: v for k, v in content.items() if k != "text"}))
    return message


def _thread_root(state: SlackState, channel: str, args: Args) -> str | None:
    thread_ts = text_arg(args, "thread_ts")
    if thread_ts is None:
        return None
    parent = state.find(channel, thread_ts)
    if parent is None:
        raise SlackError("thread_not_found")
    return str(parent.get("thread_ts") or thread_ts)


@method("chat.postMessage")
def post_message(state: SlackState, args: Args) -> Answer:
    channel = member_channel(state, args)
    content = message_content(args)
    thread_ts = _thread_root(state, channel.id, args)
    message = bot_message(state, content)
    if thread_ts is not None:
        message["thread_ts"] = thread_ts
        if bool_arg(args, "reply_broadcast"):
            message["subtype"] = "thread_broadcast"
    state.add(channel.id, message)
    state.emit(message_event(channel.id, message))
    return {"ok": True, "channel": channel.id, "ts": message["ts"], "message": _shown(message)}


def _shown(message: Message) -> Message:
    shown = copy.deepcopy(message)
    for key in ("reply_count", "reply_users", "reply_users_count", "latest_reply"):
        shown.pop(key, None)
    return shown


def _own_message(state: SlackState, args: Args, refusal: str) -> tuple[Channel, Message]:
    channel = member_channel(state, args)
    message = state.find(channel.id, required(args, "ts"))
    if message is None:
        raise SlackError("message_not_found")
    if message.get("bot_id") != state.workspace.bot_id or message.get("subtype") == "tombstone":
        raise SlackError(refusal)
    return channel, message


@method("chat.update")
def update(state: SlackState, args: Args) -> Answer:
    channel, message = _own_message(state, args, "cant_update_message")
    content = message_content(args, partial=True)
    if not content:
        raise SlackError("no_text")
    previous = copy.deepcopy(message)
    # Slack keeps what an update leaves out (blocks, attachments); [] removes them.
    for key, value in content.items():
        if value == [] and key in ("blocks", "attachments"):
            message.pop(key, None)
        else:
            message[key] = copy.deepcopy(value)
    message["edited"] = {"user": state.workspace.bot_user_id, "ts": state.new_ts()}
    state.emit(changed_event(channel.id, _shown(message), _shown(previous), state.new_ts()))
    return {
        "ok": True,
        "channel": channel.id,
        "ts": message["ts"],
        "text": message.get("text", ""),
        "message": _shown(message),
    }


@method("chat.delete")
def delete(state: SlackState, args: Args) -> Answer:
    channel, message = _own_message(state, args, "cant_delete_message")
    previous = state.remove(channel.id, str(message["ts"]))
    assert previous is not None
    state.emit(deleted_event(channel.id, _shown(previous), state.new_ts()))
    return {"ok": True, "channel": channel.id, "ts": previous["ts"]}


@method("chat.postEphemeral")
def post_ephemeral(state: SlackState, args: Args) -> Answer:
    channel = member_channel(state, args)
    user = required(args, "user")
    if state.workspace.user(user) is None:
        raise SlackError("user_not_found")
    if user not in channel.members:
        raise SlackError("user_not_in_channel")
    content = message_content(args)
    content.pop("metadata", None)
    message = bot_message(state, content)
    thread_ts = _thread_root(state, channel.id, args)
    if thread_ts is not None:
        message["thread_ts"] = thread_ts
    state.add_ephemeral(channel.id, user, message)
    return {"ok": True, "message_ts": message["ts"]}


@method("chat.getPermalink")
def get_permalink(state: SlackState, args: Args) -> Answer:
    channel = state.workspace.channel(required(args, "channel"))
    if channel is None:
        raise SlackError("channel_not_found")
    message = state.find(channel.id, required(args, "message_ts"))
    if message is None:
        raise SlackError("message_not_found")
    ts = str(message["ts"])
    link = f"{state.workspace.url}archives/{channel.id}/p{ts.replace('.', '')}"
    thread_ts = message.get("thread_ts")
    if thread_ts and thread_ts != ts:
        link += f"?thread_ts={thread_ts}&cid={channel.id}"
    return {"ok": True, "channel": channel.id, "permalink": link}
