"""The bodies Slack sends to an app: event callbacks, block_actions and view_submission
interactions, and slash commands, in Slack's shapes."""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

from sim.slack.state import Event, Message
from sim.slack.workspace import Workspace

Payload = dict[str, Any]


def event_callback(workspace: Workspace, event: Event, event_id: str, event_time: int) -> Payload:
    """The Events API envelope around one event."""
    context = json.dumps({"tid": workspace.team_id, "aid": workspace.app_id, "eid": event_id})
    return {
        "token": workspace.verification_token,
        "team_id": workspace.team_id,
        "context_team_id": workspace.team_id,
        "context_enterprise_id": None,
        "api_app_id": workspace.app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": event_time,
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": workspace.team_id,
                "user_id": workspace.bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": "4-" + base64.urlsafe_b64encode(context.encode()).decode().rstrip("="),
    }


def url_verification(workspace: Workspace, challenge: str) -> Payload:
    return {
        "token": workspace.verification_token,
        "challenge": challenge,
        "type": "url_verification",
    }


def _user(workspace: Workspace, user_id: str) -> dict[str, Any]:
    user = workspace.user(user_id)
    name = user.name if user else user_id
    return {"id": user_id, "username": name, "name": name, "team_id": workspace.team_id}


def _team(workspace: Workspace) -> dict[str, Any]:
    return {"id": workspace.team_id, "domain": workspace.domain}


def find_element(blocks: list[dict[str, Any]], action_id: str) -> tuple[str, dict[str, Any]] | None:
    """The (block_id, element) of the interactive element `action_id` in `blocks`."""
    for block in blocks:
        candidates = list(block.get("elements") or []) if block.get("type") == "actions" else []
        if "accessory" in block:
            candidates.append(block["accessory"])
        for element in candidates:
            if isinstance(element, dict) and element.get("action_id") == action_id:
                return str(block.get("block_id", "")), element
    return None


def _action(
    block_id: str, element: dict[str, Any], value: str | None, action_ts: str
) -> dict[str, Any]:
    action: dict[str, Any] = {
        "action_id": element["action_id"],
        "block_id": block_id,
        "type": element.get("type", "button"),
        "action_ts": action_ts,
    }
    if action["type"] == "button":
        action["text"] = copy.deepcopy(element.get("text"))
        action["value"] = value if value is not None else element.get("value")
        if "style" in element:
            action["style"] = element["style"]
    else:
        action["selected_option"] = {"value": value}
    return action


def block_actions(
    workspace: Workspace,
    *,
    user: str,
    channel: str,
    message: Message,
    is_ephemeral: bool,
    action: tuple[str, dict[str, Any]],
    value: str | None,
    trigger_id: str,
    response_url: str,
    action_ts: str,
) -> Payload:
    """A `block_actions` interaction: `user` clicked an element of `message`."""
    ch = workspace.channel(channel)
    payload: Payload = {
        "type": "block_actions",
        "user": _user(workspace, user),
        "api_app_id": workspace.app_id,
        "token": workspace.verification_token,
        "container": {
            "type": "message",
            "message_ts": message["ts"],
            "channel_id": channel,
            "is_ephemeral": is_ephemeral,
        },
        "trigger_id": trigger_id,
        "team": _team(workspace),
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel, "name": ch.name if ch else channel},
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [_action(*action, value, action_ts)],
    }
    if message.get("thread_ts"):
        payload["container"]["thread_ts"] = message["thread_ts"]
    # Slack leaves the source message out when it is ephemeral.
    if not is_ephemeral:
        payload["message"] = copy.deepcopy(message)
    return payload


def view_submission(
    workspace: Workspace,
    *,
    user: str,
    view: dict[str, Any],
    values: dict[str, Any],
    trigger_id: str,
) -> Payload:
    """A `view_submission`: `user` pressed the modal's submit button with these values."""
    submitted = copy.deepcopy(view)
    submitted["state"] = {"values": values}
    return {
        "type": "view_submission",
        "team": _team(workspace),
        "user": _user(workspace, user),
        "api_app_id": workspace.app_id,
        "token": workspace.verification_token,
        "trigger_id": trigger_id,
        "view": submitted,
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


def slash_command(
    workspace: Workspace,
    *,
    user: str,
    channel: str,
    command: str,
    text: str,
    response_url: str,
    trigger_id: str,
) -> dict[str, str]:
    """The form fields of a slash command invocation."""
    ch = workspace.channel(channel)
    person = workspace.user(user)
    return {
        "token": workspace.verification_token,
        "team_id": workspace.team_id,
        "team_domain": workspace.domain,
        "channel_id": channel,
        "channel_name": ch.name if ch else channel,
        "user_id": user,
        "user_name": person.name if person else user,
        "command": command,
        "text": text,
        "api_app_id": workspace.app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }


def view_state_values(view: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """`view.state.values` from either Slack's full shape or `{block_id: {action_id: "text"}}`.

    A plain string becomes the value of the element Slack would report for that input
    (plain_text_input: `value`; select menus: `selected_option`).
    """
    kinds = {
        (str(b.get("block_id")), str((b.get("element") or {}).get("action_id"))): str(
            (b.get("element") or {}).get("type", "plain_text_input")
        )
        for b in view.get("blocks", [])
        if b.get("type") == "input"
    }
    state: dict[str, Any] = {}
    for block_id, actions in values.items():
        state[block_id] = {}
        for action_id, value in actions.items():
            if not isinstance(value, str):
                state[block_id][action_id] = copy.deepcopy(value)
                continue
            kind = kinds.get((block_id, action_id), "plain_text_input")
            if kind == "plain_text_input":
                state[block_id][action_id] = {"type": kind, "value": value}
            else:
                option = {"text": {"type": "plain_text", "text": value}, "value": value}
                state[block_id][action_id] = {"type": kind, "selected_option": option}
    return state
