"""What the Probe has seen of one namespace, parsed: objects from `kubectl get -o json`, logs
per pod, metric tables and trace summaries."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import orjson

from agents.models import ProposedAction

Obj = dict[str, Any]


@dataclass
class Observations:
    namespace: str
    objects: dict[str, list[Obj]] = field(default_factory=dict)  # kind -> items
    logs: dict[str, str] = field(default_factory=dict)  # pod -> recent (and previous) lines
    metrics: dict[str, str] = field(default_factory=dict)  # named query -> table
    traces: dict[str, str] = field(default_factory=dict)  # service -> summary
    blamed: Counter[str] = field(default_factory=Counter)  # services callers' logs fail on
    runbooks: list[str] = field(default_factory=list)  # ConfigMaps the policy calls runbooks

    def add_list(self, kind: str, raw: str) -> None:
        """Items of a `kubectl get KIND -o json` answer (ignored if it is not JSON)."""
        try:
            self.objects[kind] = list(orjson.loads(raw).get("items") or [])
        except (ValueError, AttributeError):
            self.objects.setdefault(kind, [])

    def add_mixed_list(self, raw: str, names: dict[str, str]) -> bool:
        """Items of a `kubectl get A,B,... -o json` answer, filed by kind (`names`: Kind ->
        the name used here); every named kind gets a list, empty if none came. False if
        `raw` is not such an answer."""
        try:
            items = orjson.loads(raw).get("items")
        except (ValueError, AttributeError):
            return False
        if not isinstance(items, list):
            return False
        for name in names.values():
            self.objects[name] = []
        for item in items:
            filed = names.get(str(item.get("kind")))
            if filed is not None:
                self.objects[filed].append(item)
        return True

    def fix(self, *argv: str, why: str) -> ProposedAction:
        """A kubectl write on this namespace, proposed with why it helps (the namespace is
        always named: the policy refuses a write without one)."""
        return ProposedAction(command=["kubectl", *argv, "-n", self.namespace], rationale=why)

    def config_fix(
        self, configmap: str, data: dict[str, str], why: str, readers: list[str]
    ) -> list[ProposedAction]:
        """Merge `data` into a ConfigMap, then restart the deployments that read it only at
        start (a changed ConfigMap alone changes nothing in a running program)."""
        patch = json.dumps({"data": data})
        return [
            self.fix("patch", "configmap", configmap, "--type", "merge", "-p", patch, why=why),
            *(
                self.fix(
                    "rollout",
                    "restart",
                    f"deployment/{reader}",
                    why=f"{reader} reads {configmap} at start",
                )
                for reader in readers
            ),
        ]

    def items(self, kind: str) -> list[Obj]:
        return self.objects.get(kind, [])

    def pods_of(self, deployment: Obj) -> list[Obj]:
        wanted = ((deployment.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
        return [p for p in self.items("pods") if _matches(wanted, p)]

    def pods_selected(self, service: Obj) -> list[Obj]:
        wanted = (service.get("spec") or {}).get("selector") or {}
        return [p for p in self.items("pods") if wanted and _matches(wanted, p)]

    def owner(self, pod: Obj) -> str:
        """The workload a pod belongs to: `<deployment>` from `<deployment>-<rs>-<pod>`."""
        for ref in pod["metadata"].get("ownerReferences") or []:
            if ref.get("kind") == "ReplicaSet":
                return str(ref["name"]).rsplit("-", 1)[0]
            if ref.get("kind") in ("StatefulSet", "DaemonSet", "Job"):
                return str(ref["name"])
        return str(pod["metadata"]["name"])


def metric_row(line: str) -> tuple[dict[str, str], float | None]:
    """One line of a metrics table (tools.metrics.render): `a=b c=d  0.5` -> ({a: b, c: d},
    0.5); ({}, None) for a line that is not one."""
    labels, _, value = line.rpartition("  ")
    try:
        number = float(value)
    except ValueError:
        return {}, None
    return dict(part.split("=", 1) for part in labels.split() if "=" in part), number


def _matches(wanted: dict[str, str], obj: Obj) -> bool:
    labels = obj["metadata"].get("labels") or {}
    return all(labels.get(k) == v for k, v in wanted.items())
