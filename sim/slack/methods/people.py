"""auth.test, users.* and usergroups.*: who is in the workspace."""

from __future__ import annotations

from typing import Any

from sim.slack.methods.base import Answer, Args, SlackError, bool_arg, method, page, required
from sim.slack.state import SlackState
from sim.slack.workspace import User, UserGroup, Workspace


def user_object(workspace: Workspace, user: User) -> dict[str, Any]:
    """A user as users.info and users.list give it."""
    profile: dict[str, Any] = {
        "real_name": user.real_name,
        "display_name": user.display_name,
        "real_name_normalized": user.real_name,
        "display_name_normalized": user.display_name,
        "first_name": user.real_name.split(" ")[0] if user.real_name else "",
        "last_name": " ".join(user.real_name.split(" ")[1:]),
        "title": "",
        "status_text": "",
        "status_emoji": "",
        "image_48": "",
        "team": workspace.team_id,
    }
    if user.email:
        profile["email"] = user.email
    if user.bot_id:
        profile["bot_id"] = user.bot_id
        profile["api_app_id"] = user.app_id or ""
        profile["always_active"] = False
    return {
        "id": user.id,
        "team_id": workspace.team_id,
        "name": user.name,
        "deleted": False,
        "color": "9f69e7",
        "real_name": user.real_name,
        "tz": user.tz,
        "tz_label": user.tz_label,
        "tz_offset": user.tz_offset,
        "profile": profile,
        "is_admin": False,
        "is_owner": False,
        "is_primary_owner": False,
        "is_restricted": False,
        "is_ultra_restricted": False,
        "is_bot": user.is_bot,
        "is_app_user": False,
        "updated": 1_700_000_000,
    }


@method("auth.test")
def auth_test(state: SlackState, args: Args) -> Answer:
    ws = state.workspace
    return {
        "ok": True,
        "url": ws.url,
        "team": ws.team_name,
        "user": ws.bot_user().name,
        "team_id": ws.team_id,
        "user_id": ws.bot_user_id,
        "bot_id": ws.bot_id,
        "is_enterprise_install": False,
    }


@method("users.info")
def users_info(state: SlackState, args: Args) -> Answer:
    user = state.workspace.user(required(args, "user"))
    if user is None:
        raise SlackError("user_not_found")
    shown = user_object(state.workspace, user)
    if bool_arg(args, "include_locale"):
        shown["locale"] = "en-GB"
    return {"ok": True, "user": shown}


@method("users.list")
def users_list(state: SlackState, args: Args) -> Answer:
    members = [user_object(state.workspace, u) for u in state.workspace.users]
    chunk, cursor = page(members, args, default_limit=1000)
    return {
        "ok": True,
        "members": chunk,
        "cache_ts": int(state.now()),
        "response_metadata": {"next_cursor": cursor},
    }


def _group_object(state: SlackState, group: UserGroup, with_users: bool) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "id": group.id,
        "team_id": state.workspace.team_id,
        "is_usergroup": True,
        "is_subteam": True,
        "name": group.name or group.handle,
        "description": group.description,
        "handle": group.handle,
        "is_external": False,
        "date_create": 1_700_000_000,
        "date_update": 1_700_000_000,
        "date_delete": 0,
        "auto_type": None,
        "created_by": "",
        "updated_by": "",
        "deleted_by": None,
        "prefs": {"channels": [], "groups": []},
        "user_count": len(group.members),
    }
    if with_users:
        shown["users"] = list(group.members)
    return shown


@method("usergroups.list")
def usergroups_list(state: SlackState, args: Args) -> Answer:
    with_users = bool_arg(args, "include_users")
    return {
        "ok": True,
        "usergroups": [_group_object(state, g, with_users) for g in state.workspace.usergroups],
    }


@method("usergroups.users.list")
def usergroups_users_list(state: SlackState, args: Args) -> Answer:
    group = state.workspace.usergroup(required(args, "usergroup"))
    if group is None:
        raise SlackError("no_such_subteam")
    return {"ok": True, "users": list(group.members)}
