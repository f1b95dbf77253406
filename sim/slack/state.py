"""The conversation held by the emulated workspace: messages and threads, reactions,
ephemeral messages, trigger ids and open views.

Messages are kept in Slack's own JSON shape (what conversations.history returns), so the Web
API hands them out as they are and tests see exactly what the app would.
"""

from __future__ import annotations

import copy
import hashlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sim.clock import SimClock
from sim.slack.workspace import Workspace

Message = dict[str, Any]
Event = dict[str, Any]

# Slack stores a reaction under its canonical name: "thumbsup" is kept (and reported) as "+1".
_REACTION_ALIASES = {"thumbsup": "+1", "thumbsdown": "-1", "thumbs_up": "+1"}


def canonical_reaction(name: str) -> str:
    """The name Slack records for an emoji given with or without colons or by an alias."""
    bare = name.strip().strip(":")
    return _REACTION_ALIASES.get(bare, bare)


@dataclass
class Ephemeral:
    """A message only `user` sees; it is never in a channel's history."""

    channel: str
    user: str
    message: Message

    @property
    def ts(self) -> str:
        return str(self.message["ts"])


@dataclass
class Trigger:
    """A trigger_id issued with an interaction; it opens one modal within its lifetime."""

    id: str
    user: str
    issued_at: float
    exchanged: bool = False


@dataclass
class OpenView:
    """A modal as views.open/push/update left it, and whether the user still has it open."""

    view: dict[str, Any]
    user: str
    is_open: bool = True


class IdSource:
    """Deterministic identifiers, so that two runs of a demo print the same transcript."""

    def __init__(self) -> None:
        self._counters: Counter[str] = Counter()

    def new(self, prefix: str, width: int = 10) -> str:
        """`prefix` followed by a zero-padded, per-prefix counter (e.g. `Ev0000000001`)."""
        self._counters[prefix] += 1
        return f"{prefix}{self._counters[prefix]:0{width}d}"

    def hex(self, kind: str, length: int = 32) -> str:
        """A random-looking but reproducible hex string."""
        self._counters[kind] += 1
        return hashlib.sha256(f"{kind}:{self._counters[kind]}".encode()).hexdigest()[:length]


class SlackState:
    """Mutable workspace conversation, with the bookkeeping Slack does on threads."""

    def __init__(self, workspace: Workspace, clock: SimClock, trigger_ttl: float = 3.0) -> None:
        self.workspace = workspace
        self.clock = clock
        self.trigger_ttl = trigger_ttl
        self.ids = IdSource()
        self.channels: dict[str, dict[str, Message]] = {}
        self.ephemerals: list[Ephemeral] = []
        self.triggers: dict[str, Trigger] = {}
        self.views: dict[str, OpenView] = {}
        self._last_ts_us = 0
        # Where events caused by Web API calls go (the emulator delivers them to the app).
        self.event_sink: Callable[[Event], None] = lambda event: None

    def now(self) -> float:
        """Slack's present, in epoch seconds."""
        return self.clock.now().timestamp()

    def new_ts(self) -> str:
        """A message timestamp: epoch seconds with microseconds, strictly increasing."""
        now_us = int(self.now() * 1_000_000)
        self._last_ts_us = max(now_us, self._last_ts_us + 1)
        seconds, micros = divmod(self._last_ts_us, 1_000_000)
        return f"{seconds}.{micros:06d}"

    def emit(self, event: Event) -> None:
        """Hand an event (the inner `event` object) to whoever delivers events to the app."""
        self.event_sink(event)

    # --- messages -----------------------------------------------------------------------

    def history(self, channel: str) -> dict[str, Message]:
        return self.channels.setdefault(channel, {})

    def find(self, channel: str, ts: str) -> Message | None:
        return self.channels.get(channel, {}).get(ts)

    def add(self, channel: str, message: Message) -> Message:
        """Store a message; a reply also updates its parent's reply_count and friends."""
        ts = str(message["ts"])
        thread_ts = message.get("thread_ts")
        if thread_ts and thread_ts != ts:
            parent = self.find(channel, thread_ts)
            if parent is not None:
                message["parent_user_id"] = parent.get("user") or parent.get("bot_id")
        self.history(channel)[ts] = message
        if thread_ts and thread_ts != ts:
            self._recount_replies(channel, thread_ts)
        return message

    def replies_of(self, channel: str, thread_ts: str) -> list[Message]:
        return sorted(
            (
                m
                for ts, m in self.history(channel).items()
                if m.get("thread_ts") == thread_ts and ts != thread_ts
            ),
            key=lambda m: str(m["ts"]),
        )

    def thread(self, channel: str, ts: str) -> list[Message]:
        """The parent, then its replies, oldest first; any message of the thread finds it."""
        message = self.find(channel, ts)
        if message is None:
            return []
        root = str(message.get("thread_ts") or ts)
        parent = self.find(channel, root)
        return ([parent] if parent else []) + self.replies_of(channel, root)

    def top_level(self, channel: str) -> list[Message]:
        """What a channel shows: parents, unthreaded messages and broadcast replies."""
        return sorted(
            (
                m
                for ts, m in self.history(channel).items()
                if m.get("thread_ts") in (None, ts) or m.get("subtype") == "thread_broadcast"
            ),
            key=lambda m: str(m["ts"]),
        )

    def remove(self, channel: str, ts: str) -> Message | None:
        """Delete a message; a parent with replies leaves a tombstone, as in Slack."""
        message = self.find(channel, ts)
        if message is None:
            return None
        previous = copy.deepcopy(message)
        if message.get("thread_ts") == ts and self.replies_of(channel, ts):
            for key in ("blocks", "attachments", "bot_id", "bot_profile", "app_id", "edited"):
                message.pop(key, None)
            message.update(
                subtype="tombstone", text="This message was deleted.", user="USLACKBOT", hidden=True
            )
            return previous
        del self.history(channel)[ts]
        thread_ts = message.get("thread_ts")
        if thread_ts and thread_ts != ts:
            self._recount_replies(channel, thread_ts)
        return previous

    def _recount_replies(self, channel: str, thread_ts: str) -> None:
        parent = self.find(channel, thread_ts)
        if parent is None:
            return
        replies = self.replies_of(channel, thread_ts)
        authors = list(dict.fromkeys(str(r.get("user") or r.get("bot_id")) for r in replies))
        parent["thread_ts"] = thread_ts
        parent["reply_count"] = len(replies)
        parent["reply_users_count"] = len(authors)
        parent["reply_users"] = authors
        parent["latest_reply"] = replies[-1]["ts"] if replies else thread_ts
        parent.setdefault("is_locked", False)
        parent.setdefault("subscribed", False)

    # --- reactions ----------------------------------------------------------------------

    def react(self, message: Message, user: str, name: str) -> bool:
        """Add `user`'s reaction; False if they had already reacted so."""
        reactions: list[dict[str, Any]] = message.setdefault("reactions", [])
        entry = next((r for r in reactions if r["name"] == name), None)
        if entry is None:
            entry = {"name": name, "users": [], "count": 0}
            reactions.append(entry)
        if user in entry["users"]:
            return False
        entry["users"].append(user)
        entry["count"] = len(entry["users"])
        return True

    def unreact(self, message: Message, user: str, name: str) -> bool:
        """Remove `user`'s reaction; False if there was none."""
        reactions: list[dict[str, Any]] = message.get("reactions", [])
        entry = next((r for r in reactions if r["name"] == name), None)
        if entry is None or user not in entry["users"]:
            return False
        entry["users"].remove(user)
        entry["count"] = len(entry["users"])
        if not entry["users"]:
            reactions.remove(entry)
        if not reactions:
            message.pop("reactions", None)
        return True

    # --- ephemeral messages, triggers ---------------------------------------------------

    def add_ephemeral(self, channel: str, user: str, message: Message) -> Ephemeral:
        ephemeral = Ephemeral(channel, user, message)
        self.ephemerals.append(ephemeral)
        return ephemeral

    def ephemeral(self, channel: str, ts: str) -> Ephemeral | None:
        return next(
            (e for e in self.ephemerals if e.channel == channel and e.ts == ts),
            None,
        )

    def issue_trigger(self, user: str) -> str:
        """A fresh trigger_id for an interaction by `user`, valid once for trigger_ttl s."""
        now = self.now()
        trigger_id = f"{int(now)}.{self.ids.new('', 10)}.{self.ids.hex('trigger')}"
        self.triggers[trigger_id] = Trigger(trigger_id, user, now)
        return trigger_id

    def exchange_trigger(self, trigger_id: str) -> Trigger:
        """Use a trigger_id up, or raise LookupError with Slack's error code."""
        trigger = self.triggers.get(trigger_id)
        if trigger is None:
            raise LookupError("invalid_trigger_id")
        if trigger.exchanged:
            raise LookupError("exchanged_trigger_id")
        if self.now() - trigger.issued_at > self.trigger_ttl:
            raise LookupError("expired_trigger_id")
        trigger.exchanged = True
        return trigger
