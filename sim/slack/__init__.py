"""A local Slack for tests and `aoi demo`: the Web API, Events API delivery (signed HTTP),
Socket Mode and response_urls, spoken exactly as the real slack_sdk and slack_bolt expect.

`sim.slack` imports nothing of ours outside `sim`, and neither slack_sdk nor slack_bolt: it
is Slack's side of the wire. See README.md in this folder.
"""

from sim.slack.actors import Posted
from sim.slack.blocks import render_blocks, validate_blocks
from sim.slack.delivery import Delivery
from sim.slack.emulator import EmulatorThread, SlackEmulator
from sim.slack.observe import Button, MessageView
from sim.slack.response_urls import ResponsePost
from sim.slack.webapi import ApiCall
from sim.slack.workspace import Channel, User, UserGroup, Workspace

__all__ = [
    "ApiCall",
    "Button",
    "Channel",
    "Delivery",
    "EmulatorThread",
    "MessageView",
    "Posted",
    "ResponsePost",
    "SlackEmulator",
    "User",
    "UserGroup",
    "Workspace",
    "render_blocks",
    "validate_blocks",
]
