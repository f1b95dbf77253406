"""The Web API methods the emulator implements, registered by importing their modules."""

from sim.slack.methods import chat, conversations, people, reactions, views
from sim.slack.methods.base import METHODS, Method, SlackError

__all__ = [
    "METHODS",
    "Method",
    "SlackError",
    "chat",
    "conversations",
    "people",
    "reactions",
    "views",
]
