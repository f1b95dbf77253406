"""The Slack app manifest asks for what the bot uses, no more: every event it handles is
subscribed and every method in METHOD_SCOPES is covered by a scope; the end-to-end harness
checks that the bot calls no method missing from METHOD_SCOPES."""

from __future__ import annotations

from pathlib import Path

import yaml

MANIFEST = Path(__file__).parents[2] / "deploy" / "slack-app-manifest.yaml"
# The Web API methods the bot calls, and the bot scope each needs (None: no scope).
METHOD_SCOPES = {
    "auth.test": None,
    "chat.postMessage": "chat:write",
    "chat.update": "chat:write",
    "chat.postEphemeral": "chat:write",
    "chat.getPermalink": None,
    "reactions.add": "reactions:write",
    "usergroups.users.list": "usergroups:read",
    "views.open": None,
    "apps.connections.open": None,  # Socket Mode: the app-level token's connections:write
}
EVENT_SCOPES = {
    "app_mention": "app_mentions:read",
    "message.channels": "channels:history",
    "message.groups": "groups:history",
    "reaction_added": "reactions:read",
    "reaction_removed": "reactions:read",
}


def test_the_manifest_scopes_and_events_are_exactly_what_the_bot_uses() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text())
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert events == set(EVENT_SCOPES)
    needed = {s for s in METHOD_SCOPES.values() if s} | set(EVENT_SCOPES.values()) | {"commands"}
    assert scopes == needed
    commands = [c["command"] for c in manifest["features"]["slash_commands"]]
    assert commands == ["/aoi"] and manifest["settings"]["interactivity"]["is_enabled"]
