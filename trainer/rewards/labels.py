"""The ground truth of one sample, read from the columns TRL passes (each a list aligned with
the completions; see trainer/decision_points.py), and the rule for when a name a completion
writes denotes a labelled resource: its own spelling or one of its aliases (how sim's scoring
carries AIOpsLab's mongodb- rule), case aside."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RowLabels:
    """One dataset row's ground truth. Missing columns read as "unknown"."""

    reference_action: str | None = None
    reference_targets: tuple[str, ...] = ()
    detected: bool | None = None
    faulty_components: tuple[str, ...] = ()
    aliases: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    system_level: str | None = None
    fault_type: str | None = None
    task: str = ""
    scenario: str = ""
    namespace: str = ""
    fixes: tuple[str, ...] = ()
    correction: str = ""
    proposals: tuple[str, ...] = ()  # fix commands the Executor had validated before this point

    @classmethod
    def at(cls, columns: Mapping[str, Any], index: int) -> RowLabels:
        """Sample `index`'s labels from TRL's per-column lists."""

        def value(name: str) -> Any:
            values = columns.get(name)
            if not isinstance(values, Sequence) or isinstance(values, str):
                return None
            return values[index] if index < len(values) else None

        view = _json_object(value("view_json"))
        return cls(
            reference_action=value("reference_action") or None,
            reference_targets=_names(value("reference_targets")),
            detected=value("detected") if isinstance(value("detected"), bool) else None,
            faulty_components=_names(value("faulty_components")),
            aliases={
                str(k).lower(): tuple(str(a).lower() for a in v)
                for k, v in _json_object(value("aliases_json")).items()
                if isinstance(v, list)
            },
            system_level=value("system_level") or None,
            fault_type=value("fault_type") or None,
            task=value("task") or "",
            scenario=value("scenario") or "",
            namespace=value("namespace") or "",
            fixes=tuple(str(f) for f in value("fixes") or ()),
            correction=value("correction") or "",
            proposals=tuple(str(p) for p in view.get("proposals") or ()),
        )

    def spellings(self, target: str) -> set[str]:
        """Every name that counts as `target`."""
        return {target, *self.aliases.get(target, ())}

    def denoted(self, name: str, targets: Iterable[str], *, pods: bool = False) -> str | None:
        """The target `name` denotes, if any. With `pods`, a pod of the target counts too
        (`user-service-5d8f7c9b4-x2x7q`): free text names the pod it looked at."""
        name = name.strip().lower()
        for target in targets:
            for spelling in self.spellings(target):
                if name == spelling or (pods and name.startswith(spelling + "-")):
                    return target
        return None


def rows(columns: Mapping[str, Any], count: int) -> list[RowLabels]:
    """The labels of each of `count` samples."""
    return [RowLabels.at(columns, i) for i in range(count)]


def _names(values: object) -> tuple[str, ...]:
    """Resource names, lowercased, `kind/name` read as its name."""
    if not isinstance(values, Sequence) or isinstance(values, str):
        return ()
    out: list[str] = []
    for value in values:
        name = str(value).strip().lower().rsplit("/", 1)[-1]
        if name and name not in out:
            out.append(name)
    return tuple(out)


def _json_object(text: object) -> dict[str, Any]:
    if isinstance(text, dict):
        return text
    if not isinstance(text, str) or not text:
        return {}
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
