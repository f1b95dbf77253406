"""Chaos Mesh, as AIOpsLab uses it: PodChaos (pod-failure, pod-kill, container-kill) and
NetworkChaos (loss, delay) experiments that act on selected pods for a duration, then recover,
and recover early when the experiment object is deleted."""

from __future__ import annotations

import copy
import fnmatch
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sim.clock import parse_time, rfc3339
from sim.kube.resources import resource_for_kind
from sim.kube.selectors import selector_matches
from sim.world.network import NetworkEffect

if TYPE_CHECKING:
    from sim.world.runtime import World

Obj = dict[str, Any]
PODS = resource_for_kind("Pod")
POD_CHAOS = resource_for_kind("PodChaos")
NETWORK_CHAOS = resource_for_kind("NetworkChaos")
DNS_CHAOS = resource_for_kind("DNSChaos")
PAUSE_IMAGE = "gcr.io/google-containers/pause:latest"
ORIGINAL_IMAGE = "chaos-mesh.org/original-image-"


def parse_duration(text: str | None) -> float | None:
    """Go durations as Chaos Mesh takes them: "100s", "5m", "1h30m", "250ms"."""
    if not text:
        return None
    total = 0.0
    for value, unit in re.findall(r"([\d.]+)(ms|s|m|h)", str(text)):
        total += float(value) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[unit]
    return total


@dataclass
class Experiment:
    uid: str
    kind: str
    namespace: str
    name: str
    action: str
    started: datetime
    ends: datetime | None
    targets: list[tuple[str, str]] = field(default_factory=list)  # (namespace, pod name)
    spec: Obj = field(default_factory=dict)
    recovered: bool = False


class ChaosController:
    def __init__(self, world: World) -> None:
        self.world = world
        self.experiments: dict[str, Experiment] = {}

    def wake_times(self) -> list[datetime]:
        return [e.ends for e in self.experiments.values() if e.ends and not e.recovered]

    def sync(self, t: datetime) -> bool:
        changed = False
        live = set()
        for rt in (POD_CHAOS, NETWORK_CHAOS, DNS_CHAOS):
            for obj in list(self.world.store.iter(rt)):
                uid = obj["metadata"]["uid"]
                live.add(uid)
                experiment = self.experiments.get(uid)
                if experiment is None:
                    experiment = self._start(obj, t)
                    changed = True
                if not experiment.recovered and experiment.ends and experiment.ends <= t:
                    self._recover(experiment, experiment.ends)
                    changed = True
                changed |= self._write_status(rt, obj, experiment)
        for uid in set(self.experiments) - live:
            experiment = self.experiments.pop(uid)
            if not experiment.recovered:
                self._recover(experiment, t)
                changed = True
        return changed

    def _select(self, obj: Obj) -> list[tuple[str, str]]:
        spec = obj.get("spec") or {}
        selector = spec.get("selector") or {}
        namespaces = selector.get("namespaces") or [obj["metadata"]["namespace"]]
        labels = selector.get("labelSelectors") or {}
        pods = [
            p
            for ns in namespaces
            for p in self.world.store.iter(PODS, ns)
            if selector_matches({"matchLabels": labels}, p["metadata"].get("labels"))
            and (p.get("status") or {}).get("phase") == "Running"
        ]
        pods.sort(key=lambda p: p["metadata"]["name"])
        if spec.get("mode", "one") == "one":
            pods = pods[:1]
        return [(p["metadata"]["namespace"], p["metadata"]["name"]) for p in pods]

    def _start(self, obj: Obj, t: datetime) -> Experiment:
        spec = obj.get("spec") or {}
        seconds = parse_duration(spec.get("duration"))
        experiment = Experiment(
            obj["metadata"]["uid"],
            obj["kind"],
            obj["metadata"]["namespace"],
            obj["metadata"]["name"],
            spec.get("action", ""),
            t,
            t + timedelta(seconds=seconds) if seconds else None,
            self._select(obj),
            spec,
        )
        self.experiments[experiment.uid] = experiment
        for namespace, name in experiment.targets:
            pod = self.world.store.peek(PODS, namespace, name)
            if pod is None:
                continue
            if experiment.action == "pod-failure":
                self._swap_images(pod, to_pause=True)
            elif experiment.action == "pod-kill":
                self.world.delete_pod(pod, t)
            elif experiment.action == "container-kill":
                for container in spec.get("containerNames") or [
                    c["name"] for c in pod["spec"]["containers"]
                ]:
                    self.world.kill_container(pod, container, t)
        if experiment.kind == "PodChaos" and experiment.action != "pod-failure":
            # One-shot actions are over once done; only their record stays.
            experiment.recovered = experiment.ends is None
        return experiment

    def _swap_images(self, pod: Obj, *, to_pause: bool) -> None:
        updated = copy.deepcopy(pod)
        annotations = updated["metadata"].setdefault("annotations", {})
        for container in updated["spec"]["containers"]:
            key = ORIGINAL_IMAGE + container["name"]
            if to_pause:
                annotations.setdefault(key, container["image"])
                container["image"] = PAUSE_IMAGE
            elif key in annotations:
                container["image"] = annotations.pop(key)
        self.world.store.replace(PODS, updated, check_version=False, copy_result=False)

    def _recover(self, experiment: Experiment, t: datetime) -> None:
        experiment.recovered = True
        if experiment.action == "pod-failure":
            for namespace, name in experiment.targets:
                pod = self.world.store.peek(PODS, namespace, name)
                if pod is not None:
                    self._swap_images(pod, to_pause=False)

    def _write_status(self, rt: Any, obj: Obj, experiment: Experiment) -> bool:
        phase = "Recovered" if experiment.recovered else "Injected"
        records = [
            {
                "id": f"{ns}/{name}",
                "selectorKey": ".",
                "phase": phase,
                "injectedCount": 1,
                "recoveredCount": 1 if experiment.recovered else 0,
            }
            for ns, name in experiment.targets
        ]
        status = {
            "conditions": [
                {"type": "Selected", "status": "True" if experiment.targets else "False"},
                {"type": "AllInjected", "status": "True"},
                {"type": "AllRecovered", "status": "True" if experiment.recovered else "False"},
                {"type": "Paused", "status": "False"},
            ],
            "experiment": {
                "desiredPhase": "Stop" if experiment.recovered else "Run",
                "containerRecords": records,
            },
            "startTime": rfc3339(experiment.started),
        }
        if obj.get("status") == status:
            return False
        self.world.store.replace(
            rt, {**obj, "status": status}, check_version=False, copy_result=False
        )
        return True

    def dns_fails(self, source: Obj, names: tuple[str, ...], t: datetime) -> bool:
        """Whether a DNSChaos `error` experiment on `source` answers SERVFAIL for any of
        the names a lookup tries (short, namespaced, fully qualified)."""
        for experiment in self.experiments.values():
            if experiment.kind != "DNSChaos" or experiment.action != "error":
                continue
            if experiment.started > t or (experiment.ends and experiment.ends <= t):
                continue
            if experiment.recovered and experiment.ends is None:
                continue
            if source["metadata"]["name"] not in {name for _, name in experiment.targets}:
                continue
            patterns = experiment.spec.get("patterns") or ["*"]
            if any(fnmatch.fnmatchcase(n, p) for n in names for p in patterns):
                return True
        return False

    def network_effect(self, source: Obj, target: Obj, t: datetime) -> NetworkEffect:
        loss = delay = 0.0
        ends = (source["metadata"]["name"], target["metadata"]["name"])
        for experiment in self.experiments.values():
            if experiment.kind != "NetworkChaos" or experiment.recovered:
                continue
            if experiment.started > t or (experiment.ends and experiment.ends <= t):
                continue
            if not any(name in ends for _, name in experiment.targets):
                continue
            if experiment.action == "loss":
                loss = max(loss, float((experiment.spec.get("loss") or {}).get("loss", 0)) / 100)
            elif experiment.action == "delay":
                latency = parse_duration((experiment.spec.get("delay") or {}).get("latency"))
                delay += (latency or 0) * 1000
        return NetworkEffect(loss, delay)


__all__ = ["ChaosController", "parse_time"]
