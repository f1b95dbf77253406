"""The HorizontalPodAutoscaler controller (autoscaling/v2, CPU utilization): every 15 s it
compares its pods' CPU usage with their requests, asks for ceil(current * usage / target)
replicas within [minReplicas, maxReplicas] (with the usual 10% tolerance), scales the
Deployment, and reports status and conditions as kube-controller-manager does. A target it
cannot reach because of maxReplicas shows as ScalingLimited/TooManyReplicas."""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sim.clock import rfc3339
from sim.kube.resources import resource_for_kind
from sim.world.scheduling import parse_cpu

if TYPE_CHECKING:
    from sim.world.runtime import World

Obj = dict[str, Any]
HPAS = resource_for_kind("HorizontalPodAutoscaler")
DEPLOYMENTS = resource_for_kind("Deployment")
PERIOD = timedelta(seconds=15)
TOLERANCE = 0.1


@dataclass(frozen=True)
class Record:
    """One evaluation, kept for kube-state-metrics' view of the past."""

    at: datetime
    min_replicas: int
    max_replicas: int
    current: int
    desired: int


class Autoscaler:
    def __init__(self, world: World) -> None:
        self.world = world
        self.last: dict[str, datetime] = {}
        self.history: dict[tuple[str, str], list[Record]] = {}

    def wake_times(self) -> list[datetime]:
        return [t + PERIOD for t in self.last.values()]

    def sync(self, t: datetime) -> bool:
        changed = False
        for hpa in list(self.world.store.iter(HPAS)):
            uid = hpa["metadata"]["uid"]
            if uid in self.last and t - self.last[uid] < PERIOD:
                continue
            self.last[uid] = t
            changed |= self._evaluate(hpa, t)
        return changed

    def utilization(self, deployment: Obj, t: datetime) -> tuple[int, int] | None:
        """(average CPU utilization % of requests, average millicores) of ready pods."""
        used = requested = 0.0
        count = 0
        for pod in self.world.pods_of_deployment(deployment):
            if not self.world.pod_ready(pod):
                continue
            for program, ctx in self.world.running(pod, t):
                request = parse_cpu(
                    ((ctx.container.get("resources") or {}).get("requests") or {}).get("cpu")
                )
                if not request:
                    return None  # no request: utilization is undefined (FailedGetResourceMetric)
                base = program.usage(ctx, self.world.observation(ctx))[0]
                used += base + self.world.load(pod, ctx.container["name"], t)
                requested += request
            count += 1
        if not count or not requested:
            return None
        return round(100 * used / requested), round(used / count)

    def _evaluate(self, hpa: Obj, t: datetime) -> bool:
        spec = hpa.get("spec") or {}
        namespace = hpa["metadata"]["namespace"]
        ref = spec.get("scaleTargetRef") or {}
        deployment = self.world.store.peek(DEPLOYMENTS, namespace, ref.get("name", ""))
        low, high = int(spec.get("minReplicas", 1)), int(spec.get("maxReplicas", 1))
        target = next(
            (
                int(m["resource"]["target"].get("averageUtilization", 80))
                for m in spec.get("metrics") or []
                if (m.get("resource") or {}).get("name") == "cpu"
            ),
            80,
        )
        if deployment is None:
            return False
        current = int(deployment["spec"].get("replicas", 1))
        measured = self.utilization(deployment, t)
        desired = current
        if measured is not None and current > 0:
            ratio = measured[0] / target
            if abs(ratio - 1) > TOLERANCE:
                desired = math.ceil(current * ratio)
        wanted = desired
        desired = min(max(desired, low), high)
        self.history.setdefault((namespace, hpa["metadata"]["name"]), []).append(
            Record(t, low, high, current, desired)
        )
        changed = False
        if desired != current and current > 0:
            deployment = copy.deepcopy(deployment)
            deployment["spec"]["replicas"] = desired
            self.world.store.replace(DEPLOYMENTS, deployment, check_version=False)
            direction = "above" if desired > current else "below"
            self.world.events.emit(
                hpa,
                "SuccessfulRescale",
                f"New size: {desired}; reason: cpu resource utilization (percentage of "
                f"request) {direction} target",
                t,
                component="horizontal-pod-autoscaler",
            )
            changed = True
        return self._write_status(hpa, t, current, desired, wanted, high, measured) or changed

    def _write_status(
        self,
        hpa: Obj,
        t: datetime,
        current: int,
        desired: int,
        wanted: int,
        high: int,
        measured: tuple[int, int] | None,
    ) -> bool:
        limited = wanted > high
        stamp = rfc3339(t)
        old = hpa.get("status") or {}
        status: Obj = {
            "currentReplicas": current,
            "desiredReplicas": desired,
            "lastScaleTime": stamp if desired != current else old.get("lastScaleTime"),
            "currentMetrics": (
                [
                    {
                        "type": "Resource",
                        "resource": {
                            "name": "cpu",
                            "current": {
                                "averageUtilization": measured[0],
                                "averageValue": f"{measured[1]}m",
                            },
                        },
                    }
                ]
                if measured is not None
                else []
            ),
            "conditions": [
                _condition(
                    "AbleToScale",
                    True,
                    "ReadyForNewScale",
                    "recommended size matches current size",
                    old,
                    stamp,
                ),
                _condition(
                    "ScalingActive",
                    measured is not None,
                    "ValidMetricFound" if measured is not None else "FailedGetResourceMetric",
                    "the HPA was able to successfully calculate a replica count from cpu "
                    "resource utilization (percentage of request)"
                    if measured is not None
                    else "the HPA was unable to compute the replica count: missing request for cpu",
                    old,
                    stamp,
                ),
                _condition(
                    "ScalingLimited",
                    limited,
                    "TooManyReplicas" if limited else "DesiredWithinRange",
                    "the desired replica count is more than the maximum replica count"
                    if limited
                    else "the desired count is within the acceptable range",
                    old,
                    stamp,
                ),
            ],
        }
        if status == old:
            return False
        updated = {**hpa, "status": {k: v for k, v in status.items() if v is not None}}
        self.world.store.replace(HPAS, updated, check_version=False, copy_result=False)
        return True


def _condition(kind: str, value: bool, reason: str, message: str, old: Obj, stamp: str) -> Obj:
    text = "True" if value else "False"
    previous = next((c for c in old.get("conditions") or [] if c.get("type") == kind), None)
    since = previous["lastTransitionTime"] if previous and previous["status"] == text else stamp
    return {
        "type": kind,
        "status": text,
        "reason": reason,
        "message": message,
        "lastTransitionTime": since,
    }
