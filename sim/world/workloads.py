"""The workload controllers of kube-controller-manager: Deployment (rolling update and
Recreate), ReplicaSet, StatefulSet and Job, with their status and events."""

from __future__ import annotations

import copy
import functools
import hashlib
import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sim.clock import parse_time, rfc3339
from sim.kube.resources import resource_for_kind
from sim.kube.selectors import selector_matches

if TYPE_CHECKING:
    from sim.world.runtime import World

Obj = dict[str, Any]
PODS = resource_for_kind("Pod")
DEPLOYMENTS = resource_for_kind("Deployment")
REPLICASETS = resource_for_kind("ReplicaSet")
STATEFULSETS = resource_for_kind("StatefulSet")
JOBS = resource_for_kind("Job")
DAEMONSETS = resource_for_kind("DaemonSet")
NODES = resource_for_kind("Node")
PVCS = resource_for_kind("PersistentVolumeClaim")
REVISION = "deployment.kubernetes.io/revision"
SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def template_hash(template: Obj) -> str:
    """A stable pod-template-hash for a template, in the alphabet Kubernetes uses."""
    meta = dict(template.get("metadata") or {})
    meta["labels"] = {
        k: v for k, v in (meta.get("labels") or {}).items() if k != "pod-template-hash"
    }
    text = json.dumps({**template, "metadata": meta}, sort_keys=True)
    return _hash_text(text)


@functools.lru_cache(maxsize=4096)
def _hash_text(text: str) -> str:
    digest = int(hashlib.sha256(text.encode()).hexdigest(), 16)
    out = ""
    for _ in range(10):
        digest, index = divmod(digest, len(SAFE_ALPHABET))
        out += SAFE_ALPHABET[index]
    return out


def owner_ref(owner: Obj, *, controller: bool = True) -> Obj:
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": controller,
        "blockOwnerDeletion": True,
    }


def controlled_by(obj: Obj, owner: Obj) -> bool:
    return any(
        ref.get("uid") == owner["metadata"]["uid"] and ref.get("controller")
        for ref in obj["metadata"].get("ownerReferences") or []
    )


def _percent(value: Any, total: int, round_up: bool) -> int:
    if isinstance(value, str) and value.endswith("%"):
        exact = int(value[:-1]) * total / 100
        return int(-(-exact // 1)) if round_up else int(exact)
    return int(value)


class WorkloadControllers:
    def __init__(self, world: World) -> None:
        self.world = world

    def sync(self, t: datetime) -> bool:
        changed = False
        for deployment in list(self.world.store.iter(DEPLOYMENTS)):
            changed |= self._deployment(deployment, t)
        for rs in list(self.world.store.iter(REPLICASETS)):
            changed |= self._replicaset(rs, t)
        for sts in list(self.world.store.iter(STATEFULSETS)):
            changed |= self._statefulset(sts, t)
        for job in list(self.world.store.iter(JOBS)):
            changed |= self._job(job, t)
        for ds in list(self.world.store.iter(DAEMONSETS)):
            changed |= self._daemonset(ds, t)
        return changed

    # -- helpers ----------------------------------------------------------------------------

    def _pods_of(self, owner: Obj) -> list[Obj]:
        return self.world.pods_of(owner["metadata"]["uid"])

    def _write(self, rt: Any, obj: Obj) -> bool:
        current = self.world.store.peek(
            rt, obj["metadata"].get("namespace"), obj["metadata"]["name"]
        )
        if current == obj:
            return False
        self.world.store.replace(rt, obj, check_version=False, copy_result=False)
        return True

    def _emit(
        self,
        obj: Obj,
        reason: str,
        message: str,
        t: datetime,
        component: str,
        warning: bool = False,
    ) -> None:
        self.world.events.emit(
            obj, reason, message, t, component=component, type_="Warning" if warning else "Normal"
        )

    def _new_pod(self, owner: Obj, template: Obj, name: str, t: datetime) -> Obj:
        meta = copy.deepcopy(template.get("metadata") or {})
        meta.update(
            {
                "name": name,
                "namespace": owner["metadata"]["namespace"],
                "ownerReferences": [owner_ref(owner)],
            }
        )
        pod: Obj = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": meta,
            "spec": copy.deepcopy(template.get("spec") or {}),
        }
        spec: Obj = pod["spec"]
        spec.setdefault("restartPolicy", "Always")
        spec.setdefault("dnsPolicy", "ClusterFirst")
        spec.setdefault("schedulerName", "default-scheduler")
        spec.setdefault("serviceAccountName", spec.get("serviceAccount", "default"))
        spec.setdefault("terminationGracePeriodSeconds", 30)
        spec.setdefault(
            "tolerations",
            [
                {
                    "key": "node.kubernetes.io/not-ready",
                    "operator": "Exists",
                    "effect": "NoExecute",
                    "tolerationSeconds": 300,
                },
                {
                    "key": "node.kubernetes.io/unreachable",
                    "operator": "Exists",
                    "effect": "NoExecute",
                    "tolerationSeconds": 300,
                },
            ],
        )
        for container in spec.get("initContainers", []) + spec.get("containers", []):
            container.setdefault("terminationMessagePath", "/dev/termination-log")
            container.setdefault("terminationMessagePolicy", "File")
            image = container.get("image", "")
            container.setdefault(
                "imagePullPolicy",
                "Always"
                if image.endswith(":latest") or ":" not in image.split("/")[-1]
                else "IfNotPresent",
            )
            container.setdefault("resources", {})
        pod["status"] = {"phase": "Pending", "qosClass": _qos_class(spec)}
        return self.world.store.create(PODS, pod)

    # -- Deployment -------------------------------------------------------------------------

    def _deployment(self, d: Obj, t: datetime) -> bool:
        spec = d.get("spec") or {}
        namespace = d["metadata"]["namespace"]
        owned = [rs for rs in self.world.store.iter(REPLICASETS, namespace) if controlled_by(rs, d)]
        template = spec.get("template") or {}
        pod_hash = template_hash(template)
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
        return sum(1 for p in self._pods_of(rs) if self.world.pod_ready(p))

    def _rollout(self, d: Obj, new_rs: Obj, old: list[Obj], desired: int, t: datetime) -> bool:
        strategy = d["spec"].get("strategy") or {}
        changed = False
        active_old = [rs for rs in old if rs["spec"].get("replicas", 0) > 0]
        if strategy.get("type") == "Recreate":
            for rs in active_old:
                changed |= self._scale_rs(d, rs, 0, t)
            if not any(self._pods_of(rs) for rs in old):
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
            p for rs in owned + ([new_rs] if new_rs not in owned else []) for p in self._pods_of(rs)
        ]
        new_pods = self._pods_of(new_rs)
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
        updated = copy.deepcopy(d)
        updated["status"] = status
        revision = new_rs["metadata"].get("annotations", {}).get(REVISION)
        if revision and updated["metadata"].setdefault("annotations", {}).get(REVISION) != revision:
            updated["metadata"]["annotations"][REVISION] = revision
        return self._write(DEPLOYMENTS, updated)

    # -- ReplicaSet -------------------------------------------------------------------------

    def _replicaset(self, rs: Obj, t: datetime) -> bool:
        desired = rs["spec"].get("replicas", 1)
        pods = self._pods_of(rs)
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
        pods = self._pods_of(rs)
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

    def _statefulset(self, sts: Obj, t: datetime) -> bool:
        spec = sts["spec"]
        name, namespace = sts["metadata"]["name"], sts["metadata"]["namespace"]
        desired = spec.get("replicas", 1)
        revision = f"{name}-{template_hash(spec.get('template') or {})}"
        pods = {p["metadata"]["name"]: p for p in self._pods_of(sts)}
        changed = False
        for ordinal in range(desired):
            pod_name = f"{name}-{ordinal}"
            if pod_name in pods:
                pod = pods[pod_name]
                outdated = (
                    pod["metadata"].get("labels", {}).get("controller-revision-hash") != revision
                )
                if outdated and all(self.world.pod_ready(p) for p in pods.values()):
                    self.world.delete_pod(pod, t)
                    self._emit(
                        sts,
                        "SuccessfulDelete",
                        f"delete Pod {pod_name} in StatefulSet {name} successful",
                        t,
                        "statefulset-controller",
                    )
                    return True
                if not self.world.pod_ready(pod):
                    break  # OrderedReady: wait for this one before the next
                continue
            for claim in spec.get("volumeClaimTemplates") or []:
                claim_name = f"{claim['metadata']['name']}-{pod_name}"
                if self.world.store.peek(PVCS, namespace, claim_name) is None:
                    pvc = {
                        "metadata": {
                            "name": claim_name,
                            "namespace": namespace,
                            "labels": dict(spec["selector"].get("matchLabels") or {}),
                        },
                        "spec": copy.deepcopy(claim.get("spec") or {}),
                        "status": {"phase": "Pending"},
                    }
                    self.world.store.create(PVCS, pvc)
                    self._emit(
                        sts,
                        "SuccessfulCreate",
                        f"create Claim {claim_name} Pod {pod_name} in StatefulSet {name} success",
                        t,
                        "statefulset-controller",
                    )
            template = copy.deepcopy(spec.get("template") or {})
            labels = template.setdefault("metadata", {}).setdefault("labels", {})
            labels.update(
                {
                    "controller-revision-hash": revision,
                    "statefulset.kubernetes.io/pod-name": pod_name,
                    "apps.kubernetes.io/pod-index": str(ordinal),
                }
            )
            pod_spec = template.setdefault("spec", {})
            pod_spec.setdefault("hostname", pod_name)
            for claim in spec.get("volumeClaimTemplates") or []:
                pod_spec.setdefault("volumes", []).append(
                    {
                        "name": claim["metadata"]["name"],
                        "persistentVolumeClaim": {
                            "claimName": f"{claim['metadata']['name']}-{pod_name}"
                        },
                    }
                )
            self._new_pod(sts, template, pod_name, t)
            self._emit(
                sts,
                "SuccessfulCreate",
                f"create Pod {pod_name} in StatefulSet {name} successful",
                t,
                "statefulset-controller",
            )
            changed = True
            break
        for pod_name, pod in sorted(pods.items(), reverse=True):
            if int(pod_name.rsplit("-", 1)[1]) >= desired:
                self.world.delete_pod(pod, t)
                self._emit(
                    sts,
                    "SuccessfulDelete",
                    f"delete Pod {pod_name} in StatefulSet {name} successful",
                    t,
                    "statefulset-controller",
                )
                changed = True
                break
        pods_now = self._pods_of(sts)
        ready = sum(1 for p in pods_now if self.world.pod_ready(p))
        updated = sum(
            1
            for p in pods_now
            if p["metadata"].get("labels", {}).get("controller-revision-hash") == revision
        )
        status = {
            "observedGeneration": sts["metadata"].get("generation", 1),
            "replicas": len(pods_now),
            "readyReplicas": ready,
            "availableReplicas": ready,
            "currentReplicas": updated,
            "updatedReplicas": updated,
            "currentRevision": revision,
            "updateRevision": revision,
            "collisionCount": 0,
        }
        if status != sts.get("status"):
            changed |= self._write(STATEFULSETS, {**sts, "status": status})
        return changed

    def _expire(self, job: Obj, t: datetime) -> bool:
        """The TTL-after-finished controller: delete finished Jobs whose TTL ran out."""
        ttl = job["spec"].get("ttlSecondsAfterFinished")
        finished = (job.get("status") or {}).get("completionTime") or next(
            (
                c.get("lastTransitionTime")
                for c in job["status"].get("conditions") or []
                if c["type"] in ("Complete", "Failed")
            ),
            None,
        )
        if ttl is None or finished is None:
            return False
        if (t - parse_time(finished)).total_seconds() < ttl:
            return False
        self.world.store.delete(JOBS, job["metadata"]["namespace"], job["metadata"]["name"])
        return True

    def wake_times(self) -> list[datetime]:
        """When a finished Job's TTL runs out."""
        out = []
        for job in self.world.store.iter(JOBS):
            ttl = job["spec"].get("ttlSecondsAfterFinished")
            finished = (job.get("status") or {}).get("completionTime")
            if ttl is not None and finished:
                out.append(parse_time(finished) + timedelta(seconds=ttl))
        return out

    # -- DaemonSet --------------------------------------------------------------------------

    def _daemonset(self, ds: Obj, t: datetime) -> bool:
        """One pod per node, pinned to it by node affinity, as the DaemonSet controller does."""
        template = ds["spec"].get("template") or {}
        pods = {p["spec"].get("nodeName") or self._pinned_node(p): p for p in self._pods_of(ds)}
        tolerations = (template.get("spec") or {}).get("tolerations") or []
        changed = False
        nodes = []
        for node in self.world.store.iter(NODES):
            taints = [
                tn
                for tn in node["spec"].get("taints") or []
                if tn.get("effect") in ("NoSchedule", "NoExecute")
            ]
            if all(
                any(
                    tol.get("operator") == "Exists" and tol.get("key") in (None, tn["key"])
                    for tol in tolerations
                )
                for tn in taints
            ):
                nodes.append(node["metadata"]["name"])
        for node in nodes:
            if node in pods:
                continue
            pinned = copy.deepcopy(template)
            pinned.setdefault("spec", {})["affinity"] = {
                "nodeAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": {
                        "nodeSelectorTerms": [
                            {
                                "matchFields": [
                                    {"key": "metadata.name", "operator": "In", "values": [node]}
                                ]
                            }
                        ]
                    }
                }
            }
            pinned["spec"]["nodeName"] = node
            name = f"{ds['metadata']['name']}-{self.world.store.random_suffix()}"
            pod = self._new_pod(ds, pinned, name, t)
            self.world.scheduler.bind_direct(pod, node, t)
            self._emit(ds, "SuccessfulCreate", f"Created pod: {name}", t, "daemonset-controller")
            changed = True
        ready = sum(1 for p in self._pods_of(ds) if self.world.pod_ready(p))
        status = {
            "currentNumberScheduled": len(nodes),
            "desiredNumberScheduled": len(nodes),
            "numberMisscheduled": 0,
            "numberReady": ready,
            "numberAvailable": ready,
            "updatedNumberScheduled": len(nodes),
            "observedGeneration": ds["metadata"].get("generation", 1),
        }
        if status != ds.get("status"):
            changed |= self._write(DAEMONSETS, {**ds, "status": status})
        return changed

    @staticmethod
    def _pinned_node(pod: Obj) -> str:
        terms: Any = (
            ((pod["spec"].get("affinity") or {}).get("nodeAffinity") or {}).get(
                "requiredDuringSchedulingIgnoredDuringExecution"
            )
            or {}
        ).get("nodeSelectorTerms")
        try:
            return str(terms[0]["matchFields"][0]["values"][0])
        except (TypeError, KeyError, IndexError):
            return ""

    # -- Job --------------------------------------------------------------------------------

    def _job(self, job: Obj, t: datetime) -> bool:
        if not job["spec"].get("selector"):
            # The API server's Job defaulting: select the job's own pods by its uid.
            uid, name = job["metadata"]["uid"], job["metadata"]["name"]
            job = copy.deepcopy(job)
            job["spec"]["selector"] = {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
            labels = (
                job["spec"]
                .setdefault("template", {})
                .setdefault("metadata", {})
                .setdefault("labels", {})
            )
            labels.update(
                {
                    "batch.kubernetes.io/controller-uid": uid,
                    "batch.kubernetes.io/job-name": name,
                    "controller-uid": uid,
                    "job-name": name,
                }
            )
            if not job["metadata"].get("labels"):
                job["metadata"]["labels"] = dict(labels)
            self.world.store.replace(JOBS, job, check_version=False, copy_result=False)
        spec = job["spec"]
        status = copy.deepcopy(job.get("status") or {})
        conditions = status.get("conditions") or []
        if any(c["type"] in ("Complete", "Failed") and c["status"] == "True" for c in conditions):
            return self._expire(job, t)
        pods = self._pods_of(job)
        succeeded = sum(1 for p in pods if p.get("status", {}).get("phase") == "Succeeded")
        failed = sum(1 for p in pods if p.get("status", {}).get("phase") == "Failed")
        active = len(pods) - succeeded - failed
        completions = spec.get("completions", 1)
        changed = False
        status.setdefault("startTime", rfc3339(t))
        if succeeded >= completions:
            status["completionTime"] = rfc3339(t)
            status["conditions"] = [
                {
                    "type": "SuccessCriteriaMet",
                    "status": "True",
                    "lastProbeTime": rfc3339(t),
                    "lastTransitionTime": rfc3339(t),
                },
                {
                    "type": "Complete",
                    "status": "True",
                    "lastProbeTime": rfc3339(t),
                    "lastTransitionTime": rfc3339(t),
                },
            ]
            self._emit(job, "Completed", "Job completed", t, "job-controller")
        elif failed > spec.get("backoffLimit", 6):
            status["conditions"] = [
                {
                    "type": "FailureTarget",
                    "status": "True",
                    "reason": "BackoffLimitExceeded",
                    "message": "Job has reached the specified backoff limit",
                    "lastProbeTime": rfc3339(t),
                    "lastTransitionTime": rfc3339(t),
                },
                {
                    "type": "Failed",
                    "status": "True",
                    "reason": "BackoffLimitExceeded",
                    "message": "Job has reached the specified backoff limit",
                    "lastProbeTime": rfc3339(t),
                    "lastTransitionTime": rfc3339(t),
                },
            ]
            self._emit(
                job,
                "BackoffLimitExceeded",
                "Job has reached the specified backoff limit",
                t,
                "job-controller",
                warning=True,
            )
        elif active == 0:
            name = f"{job['metadata']['name']}-{self.world.store.random_suffix()}"
            self._new_pod(job, copy.deepcopy(spec.get("template") or {}), name, t)
            self._emit(job, "SuccessfulCreate", f"Created pod: {name}", t, "job-controller")
            active, changed = 1, True
        status.update(
            {
                "active": active,
                "succeeded": succeeded,
                "failed": failed,
                "ready": sum(1 for p in pods if self.world.pod_ready(p)),
            }
        )
        status = {k: v for k, v in status.items() if v != 0 or k == "ready"}
        if status != job.get("status"):
            changed |= self._write(JOBS, {**job, "status": status})
        return changed


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


def _qos_class(spec: Obj) -> str:
    containers = spec.get("containers") or []
    requests = [c.get("resources", {}).get("requests") or {} for c in containers]
    limits = [c.get("resources", {}).get("limits") or {} for c in containers]
    if not any(requests) and not any(limits):
        return "BestEffort"
    guaranteed = all(
        lim.get("cpu")
        and lim.get("memory")
        and req.get("cpu", lim["cpu"]) == lim["cpu"]
        and req.get("memory", lim["memory"]) == lim["memory"]
        for req, lim in zip(requests, limits, strict=True)
    )
    return "Guaranteed" if guaranteed else "Burstable"


__all__ = ["WorkloadControllers", "owner_ref", "selector_matches", "template_hash"]
