"""What a person in the workspace would see: messages with their author, current content,
buttons and reactions, and a plain-text transcript of a thread."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sim.slack.blocks import plain, render_blocks
from sim.slack.state import Message
from sim.slack.workspace import Workspace


@dataclass(frozen=True)
class Button:
    """A button as it is on a message, and what clicking it would send."""

    action_id: str
    text: str
    value: str | None
    block_id: str | None
    style: str | None


@dataclass
class MessageView:
    """A message as it is now (after edits), in a channel or shown to one user only."""

    channel: str
    ts: str
    text: str
    author: str
    user: str | None
    bot_id: str | None
    thread_ts: str | None
    blocks: list[dict[str, Any]]
    attachments: list[dict[str, Any]]
    reactions: dict[str, list[str]]
    edited: bool
    ephemeral_to: str | None = None
    raw: Message = field(default_factory=dict)

    @property
    def is_reply(self) -> bool:
        return self.thread_ts is not None and self.thread_ts != self.ts

    def buttons(self) -> list[Button]:
        """Every button of the message, in order."""
        found: list[Button] = []
        for block in self.blocks:
            elements = list(block.get("elements") or []) if block.get("type") == "actions" else []
            elements += [block["accessory"]] if "accessory" in block else []
            for element in elements:
                if isinstance(element, dict) and element.get("type") == "button":
                    found.append(
                        Button(
                            action_id=str(element.get("action_id", "")),
                            text=str((element.get("text") or {}).get("text", "")),
                            value=element.get("value"),
                            block_id=block.get("block_id"),
                            style=element.get("style"),
                        )
                    )
        return found

    def button(self, action_id: str) -> Button | None:
        return next((b for b in self.buttons() if b.action_id == action_id), None)


def author_of(workspace: Workspace, message: Message) -> str:
    """The name Slack shows above a message."""
    if message.get("username"):
        return str(message["username"])
    user = workspace.user(str(message.get("user", "")))
    if user is None and message.get("bot_id"):
        user = workspace.user_by_bot_id(str(message["bot_id"]))
    return user.label() if user else str(message.get("user") or message.get("bot_id") or "?")


def view_of(
    workspace: Workspace, channel: str, message: Message, ephemeral_to: str | None = None
) -> MessageView:
    """A MessageView of a stored message (a copy: later edits do not change it)."""
    return MessageView(
        channel=channel,
        ts=str(message["ts"]),
        text=str(message.get("text", "")),
        author=author_of(workspace, message),
        user=message.get("user"),
        bot_id=message.get("bot_id"),
        thread_ts=message.get("thread_ts"),
        blocks=copy.deepcopy(message.get("blocks") or []),
        attachments=copy.deepcopy(message.get("attachments") or []),
        reactions={r["name"]: list(r["users"]) for r in message.get("reactions", [])},
        edited="edited" in message,
        ephemeral_to=ephemeral_to,
        raw=copy.deepcopy(message),
    )


def _attachment_lines(attachment: dict[str, Any], name_of: Any) -> list[str]:
    lines = [str(attachment[k]) for k in ("pretext", "title", "text") if attachment.get(k)]
    lines += [f"{f.get('title', '')}: {f.get('value', '')}" for f in attachment.get("fields", [])]
    if attachment.get("blocks"):
        lines.append(render_blocks(attachment["blocks"], name_of))
    if not lines and attachment.get("fallback"):
        lines.append(str(attachment["fallback"]))
    return [plain(line, name_of) for line in lines]


def render_message(workspace: Workspace, message: MessageView) -> str:
    """One message as text: blocks if it has any (as Slack shows them), else its text."""

    def name_of(user_id: str) -> str:
        user = workspace.user(user_id)
        return user.label() if user else user_id

    body = (
        render_blocks(message.blocks, name_of) if message.blocks else plain(message.text, name_of)
    )
    lines = body.splitlines() if body else []
    for attachment in message.attachments:
        lines += "\n".join(_attachment_lines(attachment, name_of)).splitlines()
    when = datetime.fromtimestamp(float(message.ts), UTC).strftime("%H:%M:%S")
    head = f"{when} {message.author}:"
    notes = []
    if message.edited:
        notes.append("(edited)")
    if message.ephemeral_to:
        notes.append(f"(only visible to {name_of(message.ephemeral_to)})")
    notes += [
        f":{name}: {', '.join(name_of(u) for u in users)}"
        for name, users in message.reactions.items()
    ]
    indent = " " * 4
    out = [head + (" " + lines[0] if lines else "")]
    out += [indent + line for line in lines[1:]]
    if notes:
        out.append(indent + "  ".join(notes))
    return "\n".join(out)


def render_thread(workspace: Workspace, messages: list[MessageView]) -> str:
    """A thread as a transcript: the parent, then each reply indented under it."""
    rendered: list[str] = []
    for message in messages:
        text = render_message(workspace, message)
        if message.is_reply:
            text = "\n".join("  | " + line for line in text.splitlines())
        rendered.append(text)
    return "\n".join(rendered)
