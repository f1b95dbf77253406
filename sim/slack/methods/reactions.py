"""reactions.*: the app's own reactions on messages."""

from __future__ import annotations

import copy

from sim.slack.events import reaction_event
from sim.slack.methods.base import Answer, Args, SlackError, method, required
from sim.slack.methods.chat import member_channel
from sim.slack.state import Message, SlackState, canonical_reaction
from sim.slack.workspace import Channel


def _target(state: SlackState, args: Args) -> tuple[Channel, Message, str]:
    channel = member_channel(state, args)
    timestamp = required(args, "timestamp")
    message = state.find(channel.id, timestamp)
    if message is None:
        raise SlackError("message_not_found")
    return channel, message, canonical_reaction(required(args, "name"))


@method("reactions.add")
def add(state: SlackState, args: Args) -> Answer:
    channel, message, name = _target(state, args)
    bot = state.workspace.bot_user_id
    if not state.react(message, bot, name):
        raise SlackError("already_reacted")
    state.emit(reaction_event("reaction_added", bot, name, channel.id, message, state.new_ts()))
    return {"ok": True}


@method("reactions.remove")
def remove(state: SlackState, args: Args) -> Answer:
    channel, message, name = _target(state, args)
    bot = state.workspace.bot_user_id
    if not state.unreact(message, bot, name):
        raise SlackError("no_reaction")
    state.emit(reaction_event("reaction_removed", bot, name, channel.id, message, state.new_ts()))
    return {"ok": True}


@method("reactions.get")
def get(state: SlackState, args: Args) -> Answer:
    channel = member_channel(state, args)
    message = state.find(channel.id, required(args, "timestamp"))
    if message is None:
        raise SlackError("message_not_found")
    return {
        "ok": True,
        "type": "message",
        "channel": channel.id,
        "message": copy.deepcopy(message),
    }
