"""The Deployment controller (RollingUpdate within maxSurge/maxUnavailable, Recreate,
revisions, Available/Progressing conditions) and the ReplicaSet controller beneath it."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sim.clock import parse_time, rfc3339
from sim.world.controllers import (
    DEPLOYMENTS,
    REPLICASETS,
    REVISION,
    Controller,
    Obj,
    owner_ref,
    template_hash,
)

if TYPE_CHECKING:
    from sim.world.runtime import World


def _percent(value: Any, total: int, round_up: bool) -> int:
    if isinstance(value, str) and value.endswith("%"):
        exact = int(value[:-1]) * total / 100
        return int(-(-exact // 1)) if round_up else int(exact)
    return int(value)


class DeploymentController(Controller):
    kind = DEPLOYMENTS

    def __init__(self, world: World) -> None:
        super().__init__(world)
        # A stored object changes only by a write, which gives it a new resourceVersion.
        self._hashes: dict[tuple[str, str], str] = {}
        # (namespace, controller uid) -> its ReplicaSets, for the duration of one `sync`: a
        # Deployment's reconcile touches only its own, so one walk serves them all. Emptied
        # after it, so that a pickled world holds no stale copies.
        self._replicasets: dict[tuple[str, str], list[Obj]] = {}

    def sync(self, t: datetime) -> bool:
        index: dict[tuple[str, str], list[Obj]] = {}
        for rs in self.world.store.iter(REPLICASETS):
            for ref in rs["metadata"].get("ownerReferences") or []:
                if ref.get("controller"):
                    index.setdefault((rs["metadata"]["namespace"], ref.get("uid")), []).append(rs)
        self._replicasets = index
        try:
            return super().sync(t)
        finally:
            self._replicasets = {}

    def reconcile(self, d: Obj, t: datetime) -> bool:
        spec = d.get("spec") or {}
        owned = list(self._replicasets.get((d["metadata"]["namespace"], d["metadata"]["uid"]), ()))
        template = spec.get("template") or {}
        version = (d["metadata"]["uid"], str(d["metadata"].get("resourceVersion")))
        pod_hash = self._hashes.get(version)
        if pod_hash is None:
            pod_hash = self._hashes[version] = template_hash(template)
        new_rs = next(
            (
                rs
                for rs in owned
                if rs["metadata"].get("labels", {}).get("pod-template-hash") == pod_hash
            ),
            None,
        )
        old = [rs for rs in owned if rs is not new_rs]
        desired = spec.get("replicas", 1)
        changed = False
        revision = max(
            [int(rs["metadata"].get("annotations", {}).get(REVISION, 0)) for rs in owned] or [0]
        )
        if new_rs is None:
            if spec.get("paused"):
                return False
            new_rs = self._create_rs(d, template, pod_hash, revision + 1, t)
            changed = True
        elif old and int(new_rs["metadata"]["annotations"].get(REVISION, 0)) < revision:
            # Rolling back to an older template: it becomes the newest revision again.
            new_rs = copy.deepcopy(new_rs)
            new_rs["metadata"]["annotations"][REVISION] = str(revision + 1)
            changed |= self._write(REPLICASETS, new_rs)
        if not spec.get("paused"):
            changed |= self._rollout(d, new_rs, [rs for rs in old], desired, t)
        changed |= self._deployment_status(d, new_rs, owned, t)
        return changed

    def _create_rs(self, d: Obj, template: Obj, pod_hash: str, revision: int, t: datetime) -> Obj:
        template = copy.deepcopy(template)
        template.setdefault("metadata", {}).setdefault("labels", {})["pod-template-hash"] = pod_hash
        selector = copy.deepcopy(d["spec"].get("selector") or {})
        selector.setdefault("matchLabels", {})["pod-template-hash"] = pod_hash
        labels = dict(template["metadata"]["labels"])
        rs = {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": f"{d['metadata']['name']}-{pod_hash}",
                "namespace": d["metadata"]["namespace"],
                "labels": labels,
                "annotations": {
                    REVISION: str(revision),
                    "deployment.kubernetes.io/desired-replicas": str(d["spec"].get("replicas", 1)),
                    "deployment.kubernetes.io/max-replicas": str(d["spec"].get("replicas", 1) + 1),
                },
                "ownerReferences": [owner_ref(d)],
            },
            "spec": {"replicas": 0, "selector": selector, "template": template},
            "status": {"replicas": 0},
        }
        return self.world.store.create(REPLICASETS, rs)

    def _scale_rs(self, d: Obj, rs: Obj, replicas: int, t: datetime) -> bool:
        current = rs["spec"].get("replicas", 0)
        if current == replicas:
            return False
        updated = copy.deepcopy(
            self.world.store.peek(REPLICASETS, rs["metadata"]["namespace"], rs["metadata"]["name"])
            or rs
        )
        updated["spec"]["replicas"] = replicas
        updated["metadata"]["annotations"]["deployment.kubernetes.io/desired-replicas"] = str(
            d["spec"].get("replicas", 1)
        )
        self.world.store.replace(REPLICASETS, updated, check_version=False, copy_result=False)
        direction = "up" if replicas > current else "down"
        self._emit(
            d,
            "ScalingReplicaSet",
            f"Scaled {direction} replica set {rs['metadata']['name']} from {current} to {replicas}",
            t,
            "deployment-controller",
        )
        rs["spec"]["replicas"] = replicas
        return True

    def _available(self, rs: Obj, t: datetime) -> int:
        return sum(1 for p in self._active_pods_of(rs) if self.world.pod_ready(p))

    def _rollout(self, d: Obj, new_rs: Obj, old: list[Obj], desired: int, t: datetime) -> bool:
        strategy = d["spec"].get("strategy") or {}
        changed = False
        active_old = [rs for rs in old if rs["spec"].get("replicas", 0) > 0]
        if strategy.get("type") == "Recreate":
            for rs in active_old:
                changed |= self._scale_rs(d, rs, 0, t)
            if not any(self._active_pods_of(rs) for rs in old):
                changed |= self._scale_rs(d, new_rs, desired, t)
            return changed
        rolling = strategy.get("rollingUpdate") or {}
        surge = _percent(rolling.get("maxSurge", "25%"), desired, True)
        unavailable = _percent(rolling.get("maxUnavailable", "25%"), desired, False)
        if surge == 0 and unavailable == 0:
            unavailable = 1
        if not active_old:
            return self._scale_rs(d, new_rs, desired, t)

        def replicas(rs: Obj) -> int:
            return int(rs["spec"].get("replicas", 0))

        # Scale the new ReplicaSet up within maxSurge.
        total = sum(replicas(rs) for rs in active_old) + replicas(new_rs)
        if replicas(new_rs) < desired and total < desired + surge:
            grow = min(desired + surge - total, desired - replicas(new_rs))
            changed |= self._scale_rs(d, new_rs, replicas(new_rs) + grow, t)
        # Scale old ones down, never below desired - maxUnavailable available pods; their
        # unavailable pods can go first since removing them costs no availability.
        min_available = desired - unavailable
        total = sum(replicas(rs) for rs in active_old) + replicas(new_rs)
        new_unavailable = replicas(new_rs) - self._available(new_rs, t)
        budget = total - min_available - new_unavailable
        if budget <= 0:
            return changed
        oldest_first = sorted(active_old, key=lambda r: r["metadata"]["creationTimestamp"])
        for rs in oldest_first:
            if budget <= 0:
                break
            unhealthy = replicas(rs) - self._available(rs, t)
            cut = min(unhealthy, budget)
            if cut > 0:
                changed |= self._scale_rs(d, rs, replicas(rs) - cut, t)
                budget -= cut
        available = self._available(new_rs, t) + sum(self._available(rs, t) for rs in active_old)
        remaining = min(available - min_available, budget)
        for rs in oldest_first:
            if remaining <= 0:
                break
            cut = min(replicas(rs), remaining)
            if cut > 0:
                changed |= self._scale_rs(d, rs, replicas(rs) - cut, t)
                remaining -= cut
        return changed

    def _deployment_status(self, d: Obj, new_rs: Obj, owned: list[Obj], t: datetime) -> bool:
        spec = d["spec"]
        desired = spec.get("replicas", 1)
        pods = [
            p
            for rs in owned + ([new_rs] if new_rs not in owned else [])
            for p in self._active_pods_of(rs)
        ]
        new_pods = self._active_pods_of(new_rs)
        ready = sum(1 for p in pods if self.world.pod_ready(p))
        status: Obj = {
            "observedGeneration": d["metadata"].get("generation", 1),
            "replicas": len(pods),
            "updatedReplicas": len(new_pods),
            "readyReplicas": ready,
            "availableReplicas": ready,
        }
        unavailable = max(len(pods) - ready, desired - ready, 0)
        if unavailable:
            status["unavailableReplicas"] = unavailable
        old_status = d.get("status") or {}
        old_conditions = {c["type"]: c for c in old_status.get("conditions") or []}
        rolling = (spec.get("strategy") or {}).get("rollingUpdate") or {}
        max_unavailable = _percent(rolling.get("maxUnavailable", "25%"), desired, False)
        available = ready >= desired - max_unavailable
        rs_name = new_rs["metadata"]["name"]
        complete = len(new_pods) == desired and ready >= desired and len(pods) == desired
        progressing = old_conditions.get("Progressing")
        deadline = spec.get("progressDeadlineSeconds", 600)
        if complete:
            prog = (
                "True",
                "NewReplicaSetAvailable",
                f'ReplicaSet "{rs_name}" has successfully progressed.',
            )
        elif (
            progressing is not None
            and progressing["reason"]
            in ("ReplicaSetUpdated", "ProgressDeadlineExceeded", "NewReplicaSetCreated")
            and (t - parse_time(progressing["lastUpdateTime"])).total_seconds() > deadline
        ):
            prog = (
                "False",
                "ProgressDeadlineExceeded",
                f'ReplicaSet "{rs_name}" has timed out progressing.',
            )
        else:
            prog = ("True", "ReplicaSetUpdated", f'ReplicaSet "{rs_name}" is progressing.')
        avail = (
            ("True", "MinimumReplicasAvailable", "Deployment has minimum availability.")
            if available
            else (
                "False",
                "MinimumReplicasUnavailable",
                "Deployment does not have minimum availability.",
            )
        )
        conditions = [
            _condition(old_conditions.get("Available"), "Available", *avail, t, touch=False),
            _condition(
                progressing,
                "Progressing",
                *prog,
                t,
                touch=prog[1] != "ReplicaSetUpdated"
                or not (progressing and progressing["reason"] == prog[1]),
            ),
        ]
        status["conditions"] = conditions
        if status == old_status:
            return False
        # A shallow copy: the store copies what it keeps, and only these parts change here.
        meta = dict(d["metadata"])
        updated = {**d, "metadata": meta, "status": status}
        revision = new_rs["metadata"].get("annotations", {}).get(REVISION)
        if revision and (meta.get("annotations") or {}).get(REVISION) != revision:
            meta["annotations"] = {**(meta.get("annotations") or {}), REVISION: revision}
        return self._write(DEPLOYMENTS, updated)

    # -- ReplicaSet -------------------------------------------------------------------------


class ReplicaSetController(Controller):
    kind = REPLICASETS

    def reconcile(self, rs: Obj, t: datetime) -> bool:
        desired = rs["spec"].get("replicas", 1)
        pods = self._active_pods_of(rs)
        changed = False
        if len(pods) < desired:
            for _ in range(desired - len(pods)):
                name = f"{rs['metadata']['name']}-{self.world.store.random_suffix()}"
                self._new_pod(rs, rs["spec"]["template"], name, t)
                self._emit(
                    rs, "SuccessfulCreate", f"Created pod: {name}", t, "replicaset-controller"
                )
            changed = True
        elif len(pods) > desired:
            # Delete the least useful first: unscheduled, then not ready, then the newest.
            def rank(p: Obj) -> tuple[int, int, str]:
                return (
                    0 if not p["spec"].get("nodeName") else 1,
                    1 if self.world.pod_ready(p) else 0,
                    "".join(chr(255 - ord(ch)) for ch in p["metadata"]["creationTimestamp"]),
                )

            for pod in sorted(pods, key=rank)[: len(pods) - desired]:
                self.world.delete_pod(pod, t)
                self._emit(
                    rs,
                    "SuccessfulDelete",
                    f"Deleted pod: {pod['metadata']['name']}",
                    t,
                    "replicaset-controller",
                )
            changed = True
        pods = self._active_pods_of(rs)
        ready = sum(1 for p in pods if self.world.pod_ready(p))
        status = {
            "replicas": len(pods),
            "fullyLabeledReplicas": len(pods),
            "readyReplicas": ready,
            "availableReplicas": ready,
            "observedGeneration": rs["metadata"].get("generation", 1),
        }
        if not ready:
            status.pop("readyReplicas")
            status.pop("availableReplicas")
        if status != rs.get("status"):
            changed |= self._write(REPLICASETS, {**rs, "status": status})
        return changed

    # -- StatefulSet ------------------------------------------------------------------------


def _condition(
    previous: Obj | None,
    kind: str,
    status: str,
    reason: str,
    message: str,
    t: datetime,
    *,
    touch: bool,
) -> Obj:
    now = rfc3339(t)
    if previous is not None and previous["status"] == status and previous["reason"] == reason:
        return {
            **previous,
            "message": message,
            "lastUpdateTime": now if touch else previous["lastUpdateTime"],
        }
    return {
        "type": kind,
        "status": status,
        "lastUpdateTime": now,
        "lastTransitionTime": now,
        "reason": reason,
        "message": message,
    }
