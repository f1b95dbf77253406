"""response_url: the one-off webhook an interaction or slash command hands the app, served by
the emulator (Slack's hooks.slack.com). A URL works five times within thirty minutes."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from sim.slack.events import deleted_event, message_event
from sim.slack.methods.base import SlackError
from sim.slack.methods.chat import bot_message, message_content
from sim.slack.state import SlackState

MAX_USES = 5
LIFETIME_S = 30 * 60


@dataclass
class ResponseTarget:
    """Where a response_url answers: the user, channel and (for clicks) source message."""

    channel: str
    user: str
    source_ts: str | None = None
    source_ephemeral: bool = False
    thread_ts: str | None = None
    issued_at: float = 0.0
    uses: int = 0


@dataclass
class ResponsePost:
    """One use of a response_url (or a slash command's reply in its ack)."""

    url: str
    body: dict[str, Any]
    at: float
    status: int
    outcome: str  # replaced | deleted | ephemeral | in_channel | an error code


class ResponseUrls:
    """Issues response_urls and applies what the app posts to them."""

    def __init__(self, state: SlackState, base_url: Callable[[], str]) -> None:
        self.state = state
        self._base_url = base_url
        self._targets: dict[str, ResponseTarget] = {}
        self.posts: list[ResponsePost] = []

    def issue(self, kind: str, target: ResponseTarget) -> str:
        """A fresh URL (`kind` is "actions" or "commands", as in Slack's hooks)."""
        ws = self.state.workspace
        path = f"{kind}/{ws.team_id}/{self.state.ids.new('', 12)}/{self.state.ids.hex('hook', 24)}"
        target.issued_at = self.state.now()
        self._targets[path] = target
        return f"{self._base_url()}/{path}"

    async def handle(self, request: web.Request) -> web.Response:
        """POST to a response_url."""
        path = request.match_info["path"]
        raw = await request.read()
        try:
            body = json.loads(raw) if raw.strip() else {}
        except json.JSONDecodeError:
            body = {"text": raw.decode(errors="replace")}
        if not isinstance(body, dict):
            body = {}
        target = self._targets.get(path)
        status, outcome = 200, ""
        if target is None:
            status, outcome = 404, "no_active_hooks"
        elif self.state.now() - target.issued_at > LIFETIME_S:
            status, outcome = 404, "expired_url"
        elif target.uses >= MAX_USES:
            status, outcome = 404, "used_url"
        else:
            target.uses += 1
            status, outcome = self.apply(target, body)
        self.posts.append(ResponsePost(str(request.url), body, self.state.now(), status, outcome))
        if status != 200:
            return web.json_response({"ok": False, "error": outcome}, status=status)
        return web.json_response({"ok": True})

    def apply(self, target: ResponseTarget, body: dict[str, Any]) -> tuple[int, str]:
        """Do what a response body asks: replace or delete the source, or post a new message."""
        try:
            if body.get("delete_original"):
                return self._delete(target)
            content = message_content(body)
            if body.get("replace_original") and target.source_ts is not None:
                return self._replace(target, content)
            return self._post(target, content, body)
        except SlackError as error:
            return 400, error.error

    def _delete(self, target: ResponseTarget) -> tuple[int, str]:
        if target.source_ts is None:
            return 404, "message_not_found"
        if target.source_ephemeral:
            self.state.ephemerals = [
                e
                for e in self.state.ephemerals
                if not (e.channel == target.channel and e.ts == target.source_ts)
            ]
            return 200, "deleted"
        previous = self.state.remove(target.channel, target.source_ts)
        if previous is None:
            return 404, "message_not_found"
        self.state.emit(deleted_event(target.channel, previous, self.state.new_ts()))
        return 200, "deleted"

    def _replace(self, target: ResponseTarget, content: dict[str, Any]) -> tuple[int, str]:
        assert target.source_ts is not None
        if target.source_ephemeral:
            ephemeral = self.state.ephemeral(target.channel, target.source_ts)
            message = ephemeral.message if ephemeral else None
        else:
            message = self.state.find(target.channel, target.source_ts)
        if message is None:
            return 404, "message_not_found"
        # A replacement is the whole new message: what it leaves out is gone.
        for key in ("blocks", "attachments"):
            message.pop(key, None)
        message.update(copy.deepcopy(content))
        message.setdefault("text", "")
        if not target.source_ephemeral:
            message["edited"] = {
                "user": self.state.workspace.bot_user_id,
                "ts": self.state.new_ts(),
            }
        return 200, "replaced"

    def _post(
        self, target: ResponseTarget, content: dict[str, Any], body: dict[str, Any]
    ) -> tuple[int, str]:
        message = bot_message(self.state, content)
        thread_ts = body.get("thread_ts") or target.thread_ts
        if thread_ts:
            message["thread_ts"] = str(thread_ts)
        if body.get("response_type") == "in_channel":
            self.state.add(target.channel, message)
            self.state.emit(message_event(target.channel, message))
            return 200, "in_channel"
        self.state.add_ephemeral(target.channel, target.user, message)
        return 200, "ephemeral"
