"""What every workload controller shares: owner references, the pods a controller owns,
writes that bump versions only on change, events, and pods built from templates."""

from __future__ import annotations

import copy
import functools
import hashlib
import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sim.kube.resources import ResourceType, resource_for_kind

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


class Controller:
    """A workload controller: `reconcile` brings one object of its `kind` to time `t`."""

    kind: ResourceType

    def __init__(self, world: World) -> None:
        self.world = world

    def sync(self, t: datetime) -> bool:
        """Reconcile every object of the kind; True if anything changed."""
        changed = False
        for obj in list(self.world.store.iter(self.kind)):
            changed |= self.reconcile(obj, t)
        return changed

    def reconcile(self, obj: Obj, t: datetime) -> bool:
        raise NotImplementedError

    def wake_times(self) -> list[datetime]:
        """Moments at which it must run even if nothing else changes."""
        return []

    def _pods_of(self, owner: Obj) -> list[Obj]:
        return self.world.pods_of(owner["metadata"]["uid"])

    def _active_pods_of(self, owner: Obj) -> list[Obj]:
        """Pods that still count as replicas: not Failed or Succeeded (an evicted pod stays
        behind, Failed, and its ReplicaSet replaces it)."""
        return [
            p
            for p in self._pods_of(owner)
            if (p.get("status") or {}).get("phase") not in ("Failed", "Succeeded")
        ]

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
