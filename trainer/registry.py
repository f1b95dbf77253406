"""The adapter registry: every trained adapter under `<state>/adapters/<name>/`, with its
training config, its data's manifest, its training metrics and, once evaluated, its held-out
evaluation; and which one is current (Redis `aoi:model:current`, read by every bot replica
when it starts an investigation, so a promotion switches models without a restart).

`base` is the registry's name for the base model itself: the first adapter must beat it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

BASE = "base"
CURRENT_KEY = "aoi:model:current"


class RegistryError(ValueError):
    """No such adapter, or a record that cannot be read."""


class AdapterRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    created: datetime = Field(default_factory=lambda: datetime.now(UTC))
    base: str  # the base model it adapts
    adapter: str | None = None  # its directory (None for `base`)
    config: dict[str, Any] = Field(default_factory=dict)
    data: dict[str, Any] = Field(default_factory=dict)  # the dataset's manifest
    training: dict[str, Any] = Field(default_factory=dict)  # steps, seconds, rewards
    evaluation: str | None = None  # the `aoi eval` folder of its held-out run


class Registry:
    def __init__(self, root: Path) -> None:
        self.root = root

    def folder(self, name: str) -> Path:
        if not name or "/" in name or name.startswith("."):
            raise RegistryError(f"{name!r} is not an adapter name")
        return self.root / name

    def save(self, record: AdapterRecord) -> None:
        folder = self.folder(record.name)
        folder.mkdir(parents=True, exist_ok=True)
        partial = folder / "record.json.partial"
        partial.write_text(record.model_dump_json(indent=2))
        partial.replace(folder / "record.json")

    def get(self, name: str) -> AdapterRecord:
        path = self.folder(name) / "record.json"
        try:
            return AdapterRecord.model_validate_json(path.read_text())
        except FileNotFoundError:
            raise RegistryError(f"no adapter {name!r} in {self.root}") from None
        except ValueError as exc:
            raise RegistryError(f"{path}: {exc}") from None

    def all(self) -> list[AdapterRecord]:
        if not self.root.is_dir():
            return []
        found = []
        for folder in sorted(self.root.iterdir()):
            if (folder / "record.json").is_file():
                found.append(self.get(folder.name))
        return sorted(found, key=lambda r: r.created)

    def evaluation(self, name: str) -> dict[str, Any] | None:
        """The summary of the adapter's held-out evaluation, if it (and it) exists."""
        try:
            record = self.get(name)
        except RegistryError:
            return None
        if record.evaluation is None:
            return None
        path = Path(record.evaluation) / "summary.json"
        return json.loads(path.read_text()) if path.is_file() else None


def current(redis: Any) -> dict[str, Any] | None:
    """The promoted adapter (`{"name", "adapter", "promoted", ...}`), or None: the base."""
    raw = redis.get(CURRENT_KEY)
    return json.loads(raw) if raw else None


def set_current(redis: Any, record: AdapterRecord, **extra: Any) -> None:
    redis.set(
        CURRENT_KEY,
        json.dumps(
            {
                "name": record.name,
                "adapter": record.adapter,
                "base": record.base,
                "promoted": datetime.now(UTC).isoformat(),
                **extra,
            }
        ),
    )
