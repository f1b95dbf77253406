"""What a running bot is configured with. The composition root (`aoi bot`, `aoi demo`, the
tests) builds it from settings; nothing in `bot` reads the environment itself."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from agents.llm import LLMConfig
from agents.llm_agent import Budgets
from agents.target import ClusterTarget
from policies import Policy, default_policy

SLACK_API = "https://slack.com/api/"


@dataclass(frozen=True)
class Emoji:
    """Reactions that label a thread: names as Slack sends them (without colons)."""

    thumbs_up: frozenset[str] = frozenset({"+1", "thumbsup"})
    thumbs_down: frozenset[str] = frozenset({"-1", "thumbsdown"})
    resolved: frozenset[str] = frozenset({"white_check_mark", "heavy_check_mark"})


@dataclass(frozen=True)
class BotConfig:
    """Everything the bot needs; secrets are plain strings here, held only in memory."""

    signing_secret: str
    bot_token: str
    # HMAC key of the approve/reject buttons: shared by every replica, never sent to Slack.
    approval_secret: str
    target: ClusterTarget  # the cluster, without a namespace (each incident brings its own)
    slack_api_url: str = SLACK_API
    app_token: str | None = None  # set: Socket Mode instead of HTTP events
    redis_url: str | None = None  # None: the embedded Redis under state_dir
    state_dir: Path = Path.home() / ".aoi"
    policy: Policy = field(default_factory=default_policy)
    # Channels whose alert posts and questions the bot answers (empty: every channel it is in).
    incident_channels: frozenset[str] = frozenset()
    # Where a webhook alert is posted: namespace -> channel ID, "*" for the rest.
    alert_channels: dict[str, str] = field(default_factory=dict)
    alert_webhook_token: str | None = None  # set: POST /alerts needs `Authorization: Bearer`
    agent: Literal["rules", "llm"] = "rules"
    llm: LLMConfig | None = None
    budgets: Budgets | None = None
    dedupe_window_s: int = 900  # the same alert inside this window joins the first thread
    investigation_timeout_s: int = 600
    investigation_tries: int = 3  # a job lost with its worker runs again, at most this often
    job_lease_s: float = 30.0  # how soon another worker takes over a job whose worker died
    approval_ttl_s: int = 3600  # how long an Approve button stays valid
    progress_interval_s: float = 1.2  # at most one progress edit per message this often
    emoji: Emoji = field(default_factory=Emoji)
    namespaces: frozenset[str] = frozenset()  # known namespaces, to read them out of alerts

    def known_namespaces(self) -> frozenset[str]:
        """Namespaces an alert or a question may name: configured, routed, or writable."""
        channels = self.policy.channels.values()
        writable = {ns for rule in channels for ns in rule.namespaces}
        routed = {ns for ns in self.alert_channels if ns != "*"}
        return self.namespaces | routed | writable

    def channel_for(self, namespace: str | None) -> str | None:
        return self.alert_channels.get(namespace or "", self.alert_channels.get("*"))
