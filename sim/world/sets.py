"""The StatefulSet controller (ordinals, OrderedReady, claims from templates, rolling
updates from the highest ordinal) and the DaemonSet controller (one pod per eligible node)."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from sim.world.controllers import (
    DAEMONSETS,
    NODES,
    PVCS,
    STATEFULSETS,
    Controller,
    Obj,
    template_hash,
)


class StatefulSetController(Controller):
    kind = STATEFULSETS

    def reconcile(self, sts: Obj, t: datetime) -> bool:
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


class DaemonSetController(Controller):
    kind = DAEMONSETS

    def reconcile(self, ds: Obj, t: datetime) -> bool:
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
