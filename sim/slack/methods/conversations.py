"""conversations.*: channel objects, history, threads, joining."""

from __future__ import annotations

import copy
from typing import Any

from sim.slack.events import member_joined_event
from sim.slack.methods.base import (
    Answer,
    Args,
    SlackError,
    bool_arg,
    method,
    page,
    required,
    text_arg,
)
from sim.slack.methods.chat import member_channel
from sim.slack.state import Message, SlackState
from sim.slack.workspace import Channel


def channel_object(state: SlackState, channel: Channel) -> dict[str, Any]:
    """A conversation object as conversations.info and conversations.list give it."""
    return {
        "id": channel.id,
        "name": channel.name,
        "is_channel": not channel.is_private,
        "is_group": channel.is_private,
        "is_im": False,
        "is_mpim": False,
        "is_private": channel.is_private,
        "created": channel.created,
        "is_archived": False,
        "is_general": False,
        "unlinked": 0,
        "name_normalized": channel.name,
        "is_shared": False,
        "is_org_shared": False,
        "is_ext_shared": False,
        "is_pending_ext_shared": False,
        "context_team_id": state.workspace.team_id,
        "creator": channel.members[0] if channel.members else "",
        "is_member": state.workspace.bot_user_id in channel.members,
        "num_members": len(channel.members),
        "topic": {"value": channel.topic, "creator": "", "last_set": 0},
        "purpose": {"value": channel.purpose, "creator": "", "last_set": 0},
    }


def _visible(state: SlackState, args: Args) -> Channel:
    channel = state.workspace.channel(required(args, "channel"))
    if channel is None or (
        channel.is_private and state.workspace.bot_user_id not in channel.members
    ):
        raise SlackError("channel_not_found")
    return channel


def _for_reader(messages: list[Message], args: Args) -> list[Message]:
    # Slack hands out message metadata only to those who ask for it.
    keep_metadata = bool_arg(args, "include_all_metadata")
    shown = copy.deepcopy(messages)
    if not keep_metadata:
        for message in shown:
            message.pop("metadata", None)
    return shown


def _ts_arg(args: Args, name: str, default: float) -> float:
    value = text_arg(args, name)
    try:
        return default if value is None else float(value)
    except ValueError:
        raise SlackError("invalid_ts_" + name) from None


def _window(messages: list[Message], args: Args) -> list[Message]:
    oldest = _ts_arg(args, "oldest", 0.0)
    latest = _ts_arg(args, "latest", float("inf"))
    inclusive = bool_arg(args, "inclusive")

    def inside(message: Message) -> bool:
        ts = float(message["ts"])
        after = ts >= oldest if inclusive else ts > oldest
        before = ts <= latest if inclusive else ts < latest
        return after and before

    return [m for m in messages if inside(m)]


@method("conversations.info")
def info(state: SlackState, args: Args) -> Answer:
    return {"ok": True, "channel": channel_object(state, _visible(state, args))}


@method("conversations.list")
def list_(state: SlackState, args: Args) -> Answer:
    types = set((text_arg(args, "types") or "public_channel").split(","))
    bot = state.workspace.bot_user_id
    channels = [
        channel_object(state, c)
        for c in state.workspace.channels
        if ("private_channel" in types and c.is_private and bot in c.members)
        or ("public_channel" in types and not c.is_private)
    ]
    chunk, cursor = page(channels, args)
    return {"ok": True, "channels": chunk, "response_metadata": {"next_cursor": cursor}}


@method("conversations.history")
def history(state: SlackState, args: Args) -> Answer:
    channel = member_channel(state, args)
    newest_first = list(reversed(_window(state.top_level(channel.id), args)))
    chunk, cursor = page(newest_first, args)
    return {
        "ok": True,
        "messages": _for_reader(chunk, args),
        "has_more": bool(cursor),
        "pin_count": 0,
        "channel_actions_ts": None,
        "channel_actions_count": 0,
        "response_metadata": {"next_cursor": cursor},
    }


@method("conversations.replies")
def replies(state: SlackState, args: Args) -> Answer:
    channel = member_channel(state, args)
    thread = state.thread(channel.id, required(args, "ts"))
    if not thread:
        raise SlackError("thread_not_found")
    parent, rest = thread[0], _window(thread[1:], args)
    chunk, cursor = page([parent, *rest], args, default_limit=1000)
    return {
        "ok": True,
        "messages": _for_reader(chunk, args),
        "has_more": bool(cursor),
        "response_metadata": {"next_cursor": cursor},
    }


@method("conversations.join")
def join(state: SlackState, args: Args) -> Answer:
    channel = _visible(state, args)
    bot = state.workspace.bot_user_id
    if bot in channel.members:
        return {
            "ok": True,
            "channel": channel_object(state, channel),
            "warning": "already_in_channel",
            "response_metadata": {"warnings": ["already_in_channel"]},
        }
    channel.members.append(bot)
    state.emit(member_joined_event(state.workspace, bot, channel.id, state.new_ts()))
    return {"ok": True, "channel": channel_object(state, channel)}
