"""Which objects of the namespace a step names: the reference targets of a probe or executor
step, told from the object names the trajectory's own `kubectl` reads showed."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from agents.tools.record import ToolCall

# Events are named `<object>.<hash>`: never what a step means by a name.
_UNNAMED_KINDS = {"Event"}


def object_names(calls: Iterable[ToolCall]) -> set[str]:
    """Names of the objects that `kubectl get` showed: from JSON lists and single objects,
    from tables (the NAME column) and from `-o name` lines (`kind/name`)."""
    names: set[str] = set()
    for call in calls:
        if call.tool != "kubectl" or not call.ok or "get" not in call.request[:3]:
            continue
        text = call.raw or call.output
        if text.lstrip().startswith("{"):
            names |= _json_names(text)
        else:
            names |= _table_names(text)
    return names


def mentioned(text: str, names: Iterable[str]) -> list[str]:
    """The names that occur in `text` as whole names (`user-service` is not in
    `user-service-5c52p`), in the order they first occur."""
    found: list[tuple[int, str]] = []
    for name in names:
        match = re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text)
        if match:
            found.append((match.start(), name))
    return [name for _, name in sorted(found)]


def _json_names(text: str) -> set[str]:
    try:
        data = json.loads(text)
    except ValueError:
        return set()
    if not isinstance(data, dict):
        return set()
    items: Any = data.get("items") if "items" in data else [data]
    if not isinstance(items, list):
        return set()
    names = set()
    for item in items:
        if not isinstance(item, dict) or item.get("kind") in _UNNAMED_KINDS:
            continue
        metadata = item.get("metadata")
        if isinstance(metadata, dict) and isinstance(metadata.get("name"), str):
            names.add(metadata["name"])
    return names


def _table_names(text: str) -> set[str]:
    names: set[str] = set()
    column: int | None = None  # the NAME column of the table being read, if any
    for line in text.splitlines():
        words = line.split()
        if not words:
            column = None  # `kubectl get a,b` prints one table per kind, a blank line apart
        elif words[0] in ("NAME", "NAMESPACE") and "NAME" in words:
            column = words.index("NAME")
        elif column is not None and len(words) > column:
            names.add(_bare(words[column]))
        elif column is None and len(words) == 1 and "/" in words[0]:
            names.add(_bare(words[0]))  # `-o name`: kind/name
    return names


def _bare(name: str) -> str:
    return name.rsplit("/", 1)[-1]
