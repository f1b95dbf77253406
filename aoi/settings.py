"""Settings from the environment (AOI_*) and an optional YAML file (AOI_CONFIG)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything configurable, with embedded defaults that work on a laptop."""

    model_config = SettingsConfigDict(env_prefix="AOI_", extra="ignore")

    # Where AOI keeps what it writes (kubeconfigs of served clusters, later trajectories).
    state_dir: Path = Path.home() / ".aoi"
    log_level: str = "INFO"
    # The safety policy (policies/default.yaml when unset).
    policy: Path | None = None

    # The model server for `--agent llm`: any OpenAI-compatible API (vLLM in production).
    llm_base_url: str | None = None
    llm_model: str | None = None  # unset: the first model the server lists
    llm_api_key: SecretStr = SecretStr("EMPTY")
    llm_timeout_s: float = 120.0
    llm_max_retries: int = 3
    llm_temperature: float = 0.2

    # Investigation budgets; the AOI paper's values by default.
    agent_max_iterations: int = Field(15, ge=1)
    agent_context_tokens: int = Field(4000, ge=200)
    agent_probe_commands: int = Field(3, ge=1, le=10)
    agent_reply_tokens: int = Field(700, ge=64)
    agent_model_compressor: bool = True

    # The Slack bot (`aoi bot`). Tokens from the Slack app's settings page.
    slack_bot_token: SecretStr | None = None  # xoxb-...
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None  # xapp-...: Socket Mode instead of HTTP events
    slack_api_url: str = "https://slack.com/api/"
    # HMAC key of the Approve/Reject buttons; every replica must have the same one.
    approval_secret: SecretStr | None = None
    redis_url: str | None = None  # unset: an embedded Redis under AOI_STATE_DIR
    # The cluster the bot investigates: the Probe's read-only and the Executor's contexts.
    kubeconfig: Path | None = None
    kube_probe_context: str | None = None
    kube_executor_context: str | None = None
    prometheus_url: str | None = None
    jaeger_url: str | None = None
    # Channels whose alerts and questions the bot answers (comma-separated IDs; unset: all).
    incident_channels: str = ""
    # Where webhook alerts go: JSON {"namespace": "C...", "*": "C..."}.
    alert_channels: dict[str, str] = Field(default_factory=dict)
    alert_webhook_token: SecretStr | None = None  # set: POST /alerts needs it as a bearer
    bot_agent: Literal["rules", "llm"] = "rules"
    bot_host: str = "0.0.0.0"
    bot_port: int = Field(3000, ge=0, le=65535)
    dedupe_window_s: int = Field(900, ge=0)
    investigation_timeout_s: int = Field(600, ge=5)
    job_lease_s: float = Field(30.0, ge=1.0)  # a dead worker's job moves on after this
    # Reactions that label a thread (comma-separated names, as Slack sends them).
    thumbs_up_emoji: str = "+1,thumbsup"
    thumbs_down_emoji: str = "-1,thumbsdown"
    resolved_emoji: str = "white_check_mark,heavy_check_mark"
    approval_ttl_s: int = Field(3600, ge=60)


def load_settings() -> Settings:
    """Settings from AOI_CONFIG (a YAML file), overridden by AOI_* environment variables."""
    path = os.environ.get("AOI_CONFIG")
    values: dict[str, Any] = {}
    if path:
        try:
            values = yaml.safe_load(Path(path).read_text()) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise SettingsError(f"cannot read AOI_CONFIG={path}: {exc}") from exc
        if not isinstance(values, dict):
            raise SettingsError(f"AOI_CONFIG={path} must be a YAML mapping")
    env = {k: v for k, v in values.items() if f"AOI_{k.upper()}" not in os.environ}
    try:
        return Settings(**env)
    except ValidationError as exc:
        problems = "; ".join(
            f"AOI_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in exc.errors()
        )
        raise SettingsError(f"invalid settings: {problems}") from None


class SettingsError(ValueError):
    """The configuration cannot be used."""
