"""kube-scheduler: filters nodes by schedulability, taints, node selector and affinity,
resources and volume binding, and explains failures in the scheduler's own words."""

from __future__ import annotations

import copy
from collections import Counter
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sim.clock import rfc3339
from sim.kube.resources import resource_for_kind
from sim.kube.selectors import Requirement

if TYPE_CHECKING:
    from sim.world.runtime import World

Obj = dict[str, Any]
PODS = resource_for_kind("Pod")
NODES = resource_for_kind("Node")
PVCS = resource_for_kind("PersistentVolumeClaim")
RETRY_EVENT_SECONDS = 300.0


def parse_cpu(value: Any) -> int:
    """CPU quantity to millicores ("100m" -> 100, "2" -> 2000)."""
    text = str(value or "0")
    return int(float(text[:-1])) if text.endswith("m") else int(float(text) * 1000)


_MEMORY_UNITS = {
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
    "k": 10**3,
    "K": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
}


def parse_memory(value: Any) -> int:
    """Memory quantity to bytes ("128Mi" -> 134217728)."""
    text = str(value or "0")
    for unit in sorted(_MEMORY_UNITS, key=len, reverse=True):
        if text.endswith(unit):
            return int(float(text[: -len(unit)]) * _MEMORY_UNITS[unit])
    return int(float(text))


def pod_requests(spec: Obj) -> tuple[int, int]:
    """(millicores, bytes) the scheduler reserves: requests, or limits where only they exist."""
    cpu = memory = 0
    for c in spec.get("containers") or []:
        resources = c.get("resources") or {}
        requests, limits = resources.get("requests") or {}, resources.get("limits") or {}
        cpu += parse_cpu(requests.get("cpu", limits.get("cpu", 0)))
        memory += parse_memory(requests.get("memory", limits.get("memory", 0)))
    return cpu, memory


def _tolerates(pod_spec: Obj, taint: Obj) -> bool:
    for tol in pod_spec.get("tolerations") or []:
        if tol.get("effect") and tol["effect"] != taint.get("effect"):
            continue
        if tol.get("operator") == "Exists" and (
            not tol.get("key") or tol["key"] == taint.get("key")
        ):
            return True
        if tol.get("key") == taint.get("key") and tol.get("value", "") == taint.get("value", ""):
            return True
    return False


def _affinity_ok(pod_spec: Obj, labels: dict[str, str]) -> bool:
    for key, value in (pod_spec.get("nodeSelector") or {}).items():
        if labels.get(key) != value:
            return False
    required = ((pod_spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    ) or {}
    terms = required.get("nodeSelectorTerms") or []
    if not terms:
        return True
    ops = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!"}
    for term in terms:
        exprs = term.get("matchExpressions") or []
        if all(
            Requirement(
                e["key"], ops.get(e["operator"], "in"), tuple(e.get("values") or ())
            ).matches(labels)
            for e in exprs
        ):
            return True
    return False


class Scheduler:
    def __init__(self, world: World) -> None:
        self.world = world
        self.last_failure: dict[str, tuple[str, datetime]] = {}

    def sync(self, t: datetime) -> bool:
        changed = False
        pending = [p for p in self.world.store.iter(PODS) if not p["spec"].get("nodeName")]
        for pod in pending:
            changed |= self._schedule(pod, t)
        return changed

    def wake_times(self) -> list[datetime]:
        return [at + timedelta(seconds=RETRY_EVENT_SECONDS) for _, at in self.last_failure.values()]

    def _volume_problem(self, pod: Obj) -> str | None:
        namespace = pod["metadata"]["namespace"]
        for volume in pod["spec"].get("volumes") or []:
            claim = (volume.get("persistentVolumeClaim") or {}).get("claimName")
            if not claim:
                continue
            pvc = self.world.store.peek(PVCS, namespace, claim)
            if pvc is None:
                return f'persistentvolumeclaim "{claim}" not found'
            if (pvc.get("status") or {}).get(
                "phase"
            ) != "Bound" and not self.world.storage.waits_for_consumer(pvc):
                return "pod has unbound immediate PersistentVolumeClaims"
        return None

    def _node_problem(self, pod: Obj, node: Obj) -> str | None:
        spec = pod["spec"]
        if node["spec"].get("unschedulable"):
            return "node(s) were unschedulable"
        for taint in node["spec"].get("taints") or []:
            if taint.get("effect") in ("NoSchedule", "NoExecute") and not _tolerates(spec, taint):
                return f"node(s) had untolerated taint {{{taint['key']}: {taint.get('value', '')}}}"
        if not _affinity_ok(spec, node["metadata"].get("labels") or {}):
            return "node(s) didn't match Pod's node affinity/selector"
        cpu, memory = pod_requests(spec)
        used_cpu, used_memory = self.world.node_allocated(node["metadata"]["name"])
        allocatable = node["status"].get("allocatable") or {}
        if cpu and used_cpu + cpu > parse_cpu(allocatable.get("cpu")):
            return "Insufficient cpu"
        if memory and used_memory + memory > parse_memory(allocatable.get("memory")):
            return "Insufficient memory"
        return None

    def _schedule(self, pod: Obj, t: datetime) -> bool:
        nodes = list(self.world.store.iter(NODES))
        problem = self._volume_problem(pod)
        if problem is not None:
            return self._fail(
                pod,
                f"0/{len(nodes)} nodes are available: {problem}. "
                f"preemption: 0/{len(nodes)} nodes are available: {len(nodes)} "
                "Preemption is not helpful for scheduling.",
                t,
            )
        reasons: Counter[str] = Counter()
        feasible = []
        for node in nodes:
            reason = self._node_problem(pod, node)
            if reason is None:
                feasible.append(node)
            else:
                reasons[reason] += 1
        if not feasible:
            detail = ", ".join(f"{n} {r}" for r, n in sorted(reasons.items()))
            return self._fail(
                pod,
                f"0/{len(nodes)} nodes are available: {detail}. preemption: "
                f"0/{len(nodes)} nodes are available: {len(nodes)} Preemption is "
                "not helpful for scheduling.",
                t,
            )
        node = min(
            feasible,
            key=lambda n: (
                self.world.node_allocated(n["metadata"]["name"])[0],
                n["metadata"]["name"],
            ),
        )
        self.bind_direct(pod, node["metadata"]["name"], t)
        return True

    def bind_direct(self, pod: Obj, name: str, t: datetime) -> None:
        """Bind a pod to a node (the scheduler's choice, or a DaemonSet's / static pod's)."""
        self.world.storage.bind_for_consumer(pod, name, t)
        pod = (
            self.world.store.peek(PODS, pod["metadata"]["namespace"], pod["metadata"]["name"])
            or pod
        )
        updated = copy.deepcopy(pod)
        updated["spec"]["nodeName"] = name
        updated["status"] = {
            **(pod.get("status") or {}),
            "phase": "Pending",
            "podIP": self.world.allocate_ip(name),
            "conditions": [
                {
                    "type": "PodScheduled",
                    "status": "True",
                    "lastProbeTime": None,
                    "lastTransitionTime": rfc3339(t),
                }
            ],
        }
        updated["status"]["podIPs"] = [{"ip": updated["status"]["podIP"]}]
        self.world.store.replace(PODS, updated, check_version=False, copy_result=False)
        self.world.events.emit(
            updated,
            "Scheduled",
            f"Successfully assigned "
            f"{pod['metadata']['namespace']}/{pod['metadata']['name']} to "
            f"{name}",
            t,
            component="default-scheduler",
        )
        self.last_failure.pop(pod["metadata"]["uid"], None)

    def _fail(self, pod: Obj, message: str, t: datetime) -> bool:
        uid = pod["metadata"]["uid"]
        previous = self.last_failure.get(uid)
        if (
            previous is not None
            and previous[0] == message
            and (t - previous[1]).total_seconds() < RETRY_EVENT_SECONDS
        ):
            return False
        self.last_failure[uid] = (message, t)
        self.world.events.emit(
            pod, "FailedScheduling", message, t, type_="Warning", component="default-scheduler"
        )
        condition = {
            "type": "PodScheduled",
            "status": "False",
            "lastProbeTime": None,
            "lastTransitionTime": rfc3339(t),
            "reason": "Unschedulable",
            "message": message,
        }
        status = {**(pod.get("status") or {}), "phase": "Pending", "conditions": [condition]}
        if previous is not None and (pod.get("status") or {}).get("conditions"):
            status["conditions"][0]["lastTransitionTime"] = pod["status"]["conditions"][0][
                "lastTransitionTime"
            ]
        if status != pod.get("status"):
            self.world.store.replace(
                PODS, {**pod, "status": status}, check_version=False, copy_result=False
            )
        return False
