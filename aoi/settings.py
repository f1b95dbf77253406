"""Settings from the environment (AOI_*) and an optional YAML file (AOI_CONFIG)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything configurable, with embedded defaults that work on a laptop."""

    model_config = SettingsConfigDict(env_prefix="AOI_", extra="ignore")

    # Where AOI keeps what it writes (kubeconfigs of served clusters, later trajectories).
    state_dir: Path = Path.home() / ".aoi"
    log_level: str = "INFO"
    # The safety policy (policies/default.yaml when unset).
    policy: Path | None = None


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
    return Settings(**env)


class SettingsError(ValueError):
    """The configuration cannot be used."""
