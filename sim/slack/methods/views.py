"""views.open/push/update: modals, opened only with a fresh trigger_id."""

from __future__ import annotations

import copy
from typing import Any

from sim.slack.blocks import MAX_VIEW_BLOCKS, validate_blocks
from sim.slack.methods.base import (
    Answer,
    Args,
    SlackError,
    invalid_arguments,
    json_arg,
    method,
    required,
    text_arg,
)
from sim.slack.state import OpenView, SlackState

MAX_VIEWS_PER_STACK = 3


def checked_view(args: Args) -> dict[str, Any]:
    """The `view` argument, checked as Slack checks a modal (invalid_arguments if not)."""
    view = json_arg(args, "view", "invalid_arguments")
    if not isinstance(view, dict):
        raise invalid_arguments("missing required field: view")
    problems: list[str] = []
    if view.get("type") != "modal":
        problems.append("must be one of the following values: modal [json-pointer:/view/type]")
    for field in ("title", "submit", "close"):
        if field not in view:
            if field == "title":
                problems.append("missing required field: title [json-pointer:/view]")
            continue
        text = view[field]
        if not isinstance(text, dict) or text.get("type") != "plain_text":
            problems.append(f"must be a plain_text object [json-pointer:/view/{field}]")
        elif len(str(text.get("text", ""))) > 24:
            problems.append(f"must be less than 25 characters [json-pointer:/view/{field}/text]")
    if len(str(view.get("private_metadata", ""))) > 3000:
        problems.append("must be less than 3001 characters [json-pointer:/view/private_metadata]")
    if len(str(view.get("callback_id", ""))) > 255:
        problems.append("must be less than 256 characters [json-pointer:/view/callback_id]")
    problems += validate_blocks(view.get("blocks", []), MAX_VIEW_BLOCKS, "/view/blocks")
    if problems:
        raise invalid_arguments(*problems)
    return view


def view_object(
    state: SlackState, view: dict[str, Any], view_id: str, root: str, previous: str | None
) -> dict[str, Any]:
    """A view as Slack answers it: what the app sent plus ids, hash and empty state."""
    ws = state.workspace
    return {
        "id": view_id,
        "team_id": ws.team_id,
        "type": "modal",
        "title": copy.deepcopy(view.get("title")),
        "submit": copy.deepcopy(view.get("submit")),
        "close": copy.deepcopy(view.get("close")),
        "blocks": copy.deepcopy(view.get("blocks", [])),
        "private_metadata": str(view.get("private_metadata", "")),
        "callback_id": str(view.get("callback_id", "")),
        "state": {"values": {}},
        "hash": f"{int(state.now())}.{state.ids.hex('view-hash', 8)}",
        "clear_on_close": bool(view.get("clear_on_close", False)),
        "notify_on_close": bool(view.get("notify_on_close", False)),
        "previous_view_id": previous,
        "root_view_id": root,
        "app_id": ws.app_id,
        "external_id": str(view.get("external_id", "")),
        "app_installed_team_id": ws.team_id,
        "bot_id": ws.bot_id,
    }


def _exchange(state: SlackState, args: Args) -> str:
    try:
        return state.exchange_trigger(required(args, "trigger_id")).user
    except LookupError as exc:
        raise SlackError(str(exc.args[0])) from None


def _external_id_taken(state: SlackState, view: dict[str, Any]) -> bool:
    external = view.get("external_id")
    return bool(external) and any(
        v.view["external_id"] == external and v.is_open for v in state.views.values()
    )


@method("views.open")
def open_(state: SlackState, args: Args) -> Answer:
    view = checked_view(args)
    user = _exchange(state, args)
    if _external_id_taken(state, view):
        raise SlackError("duplicate_external_id")
    view_id = state.ids.new("V")
    shown = view_object(state, view, view_id, view_id, None)
    state.views[view_id] = OpenView(shown, user)
    return {"ok": True, "view": copy.deepcopy(shown)}


@method("views.push")
def push(state: SlackState, args: Args) -> Answer:
    view = checked_view(args)
    user = _exchange(state, args)
    stack = [v for v in state.views.values() if v.user == user and v.is_open]
    if not stack:
        raise SlackError("not_found")
    top = stack[-1].view
    if sum(v.view["root_view_id"] == top["root_view_id"] for v in stack) >= MAX_VIEWS_PER_STACK:
        raise SlackError("push_limit_reached")
    view_id = state.ids.new("V")
    shown = view_object(state, view, view_id, top["root_view_id"], top["id"])
    state.views[view_id] = OpenView(shown, user)
    return {"ok": True, "view": copy.deepcopy(shown)}


@method("views.update")
def update(state: SlackState, args: Args) -> Answer:
    view = checked_view(args)
    view_id, external_id = text_arg(args, "view_id"), text_arg(args, "external_id")
    if view_id is None and external_id is None:
        raise invalid_arguments("missing required field: view_id or external_id")
    current = next(
        (
            v
            for v in state.views.values()
            if v.view["id"] == view_id or (external_id and v.view["external_id"] == external_id)
        ),
        None,
    )
    if current is None:
        raise SlackError("not_found")
    expected = text_arg(args, "hash")
    if expected is not None and expected != current.view["hash"]:
        raise SlackError("hash_conflict")
    old = current.view
    current.view = view_object(state, view, old["id"], old["root_view_id"], old["previous_view_id"])
    return {"ok": True, "view": copy.deepcopy(current.view)}
