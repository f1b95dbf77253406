"""What every Web API method shares: Slack's error answer, argument readers (form, query and
JSON bodies hand the same argument over as different types) and the method registry."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from sim.slack.state import SlackState

Args = dict[str, Any]
Answer = dict[str, Any]
Handler = Callable[[SlackState, Args], Answer]
TokenKind = Literal["bot", "app"]


class SlackError(Exception):
    """An `{"ok": false, "error": ...}` answer, with any extra fields Slack adds."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra

    def body(self) -> Answer:
        return {"ok": False, "error": self.error, **self.extra}


def invalid_arguments(*messages: str) -> SlackError:
    """Slack's answer to a malformed call, its reasons in response_metadata.messages."""
    return SlackError(
        "invalid_arguments",
        response_metadata={"messages": [f"[ERROR] {m}" for m in messages]},
    )


@dataclass(frozen=True)
class Method:
    name: str
    handler: Handler
    token: TokenKind = "bot"


METHODS: dict[str, Method] = {}


def method(name: str, token: TokenKind = "bot") -> Callable[[Handler], Handler]:
    """Register a handler as the Web API method `name`."""

    def register(handler: Handler) -> Handler:
        METHODS[name] = Method(name, handler, token)
        return handler

    return register


def text_arg(args: Args, name: str) -> str | None:
    value = args.get(name)
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)


def required(args: Args, name: str) -> str:
    value = text_arg(args, name)
    if value is None:
        raise invalid_arguments(f"missing required field: {name}")
    return value


def bool_arg(args: Args, name: str, default: bool = False) -> bool:
    value = args.get(name)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    return str(value).lower() in ("1", "true", "yes")


def int_arg(args: Args, name: str, default: int) -> int:
    value = args.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise invalid_arguments(f"{name} must be an integer") from None


def json_arg(args: Args, name: str, error: str) -> Any:
    """An argument that JSON bodies carry decoded and form bodies carry as a JSON string."""
    value = args.get(name)
    if not isinstance(value, str):
        return value
    if value == "":
        return None
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        raise SlackError(error) from None


def page(items: list[Any], args: Args, default_limit: int = 100) -> tuple[list[Any], str]:
    """One page of `items` and the cursor of the next one ("" at the end)."""
    limit = max(1, min(int_arg(args, "limit", default_limit), 1000))
    cursor = text_arg(args, "cursor")
    start = 0
    if cursor is not None:
        try:
            start = int(base64.b64decode(cursor).decode().removeprefix("next:"))
        except (ValueError, binascii.Error):
            raise SlackError("invalid_cursor") from None
    chunk = items[start : start + limit]
    if start + limit >= len(items):
        return chunk, ""
    # Opaque to clients, like Slack's own base64 cursors.
    return chunk, base64.b64encode(f"next:{start + limit}".encode()).decode()
