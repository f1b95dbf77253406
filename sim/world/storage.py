"""The PersistentVolume controller: binds claims to volumes, provisions dynamic ones, and
releases or deletes volumes when their claims go, following each reclaim policy."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sim.kube.resources import resource_for_kind
from sim.world.scheduling import parse_memory

if TYPE_CHECKING:
    from sim.world.runtime import World

Obj = dict[str, Any]
PVS = resource_for_kind("PersistentVolume")
PVCS = resource_for_kind("PersistentVolumeClaim")
CLASSES = resource_for_kind("StorageClass")
PODS = resource_for_kind("Pod")
DEFAULT_CLASS = "storageclass.kubernetes.io/is-default-class"


class Storage:
    def __init__(self, world: World) -> None:
        self.world = world
        self.failures: dict[str, str] = {}  # claim uid -> last reported problem

    def _class(self, name: str | None) -> Obj | None:
        if name:
            return self.world.store.peek(CLASSES, None, name)
        return None

    def claim_class(self, pvc: Obj) -> str | None:
        name = (pvc.get("spec") or {}).get("storageClassName")
        if name is not None:
            return str(name)
        for sc in self.world.store.iter(CLASSES):
            if (sc["metadata"].get("annotations") or {}).get(DEFAULT_CLASS) == "true":
                return str(sc["metadata"]["name"])
        return None

    def waits_for_consumer(self, pvc: Obj) -> bool:
        sc = self._class(self.claim_class(pvc))
        return sc is not None and sc.get("volumeBindingMode") == "WaitForFirstConsumer"

    def sync(self, t: datetime) -> bool:
        changed = self._release(t) | self._make_available()
        for pvc in list(self.world.store.iter(PVCS)):
            if (pvc.get("status") or {}).get("phase") == "Bound":
                continue
            if self._bind_static(pvc, t):
                changed = True
            else:
                self._explain(pvc, t)
        return changed

    def _matches(self, pv: Obj, pvc: Obj) -> bool:
        spec, claim_spec = pv.get("spec") or {}, pvc.get("spec") or {}
        if (pv.get("status") or {}).get("phase") not in (None, "Available"):
            return False
        ref = spec.get("claimRef")
        if ref and (
            ref.get("name") != pvc["metadata"]["name"]
            or ref.get("namespace") != pvc["metadata"]["namespace"]
            or ref.get("uid") not in (None, pvc["metadata"]["uid"])
        ):
            return False
        if (spec.get("storageClassName") or "") != (self.claim_class(pvc) or ""):
            return False
        if not set(claim_spec.get("accessModes") or []) <= set(spec.get("accessModes") or []):
            return False
        wanted = ((claim_spec.get("resources") or {}).get("requests") or {}).get("storage")
        have = (spec.get("capacity") or {}).get("storage")
        return parse_memory(have) >= parse_memory(wanted)

    def _bind_static(self, pvc: Obj, t: datetime) -> bool:
        candidates = [pv for pv in self.world.store.iter(PVS) if self._matches(pv, pvc)]
        if not candidates:
            sc = self._class(self.claim_class(pvc))
            if (
                sc is not None
                and sc.get("volumeBindingMode") != "WaitForFirstConsumer"
                and sc.get("provisioner") != "kubernetes.io/no-provisioner"
            ):
                self._provision(pvc, sc, None, t)
                return True
            return False
        # The smallest volume that fits, as the binder prefers.
        pv = min(
            candidates,
            key=lambda v: (parse_memory(v["spec"]["capacity"]["storage"]), v["metadata"]["name"]),
        )
        self._bind(pv, pvc, t)
        return True

    def _bind(self, pv: Obj, pvc: Obj, t: datetime) -> None:
        pv = copy.deepcopy(pv)
        pv["spec"]["claimRef"] = {
            "kind": "PersistentVolumeClaim",
            "apiVersion": "v1",
            "namespace": pvc["metadata"]["namespace"],
            "name": pvc["metadata"]["name"],
            "uid": pvc["metadata"]["uid"],
            "resourceVersion": pvc["metadata"]["resourceVersion"],
        }
        pv["status"] = {"phase": "Bound"}
        self.world.store.replace(PVS, pv, check_version=False, copy_result=False)
        pvc = copy.deepcopy(
            self.world.store.peek(PVCS, pvc["metadata"]["namespace"], pvc["metadata"]["name"])
            or pvc
        )
        pvc["spec"]["volumeName"] = pv["metadata"]["name"]
        pvc["spec"].setdefault("storageClassName", pv["spec"].get("storageClassName", ""))
        pvc["spec"].setdefault("volumeMode", "Filesystem")
        pvc["metadata"].setdefault("annotations", {}).update(
            {
                "pv.kubernetes.io/bind-completed": "yes",
                "pv.kubernetes.io/bound-by-controller": "yes",
            }
        )
        pvc["status"] = {
            "phase": "Bound",
            "accessModes": pv["spec"].get("accessModes"),
            "capacity": dict(pv["spec"].get("capacity") or {}),
        }
        self.world.store.replace(PVCS, pvc, check_version=False, copy_result=False)
        self.failures.pop(pvc["metadata"]["uid"], None)

    def _provision(self, pvc: Obj, sc: Obj, node: str | None, t: datetime) -> None:
        name = f"pvc-{pvc['metadata']['uid']}"
        request = ((pvc["spec"].get("resources") or {}).get("requests") or {}).get("storage", "1Gi")
        pv: Obj = {
            "metadata": {
                "name": name,
                "annotations": {"pv.kubernetes.io/provisioned-by": sc.get("provisioner", "")},
            },
            "spec": {
                "capacity": {"storage": request},
                "accessModes": pvc["spec"].get("accessModes") or ["ReadWriteOnce"],
                "persistentVolumeReclaimPolicy": sc.get("reclaimPolicy", "Delete"),
                "storageClassName": sc["metadata"]["name"],
                "volumeMode": "Filesystem",
                "hostPath": {
                    "path": f"/var/local-path-provisioner/{name}_"
                    f"{pvc['metadata']['namespace']}_"
                    f"{pvc['metadata']['name']}",
                    "type": "DirectoryOrCreate",
                },
            },
            "status": {"phase": "Available"},
        }
        if node:
            pv["spec"]["nodeAffinity"] = {
                "required": {
                    "nodeSelectorTerms": [
                        {
                            "matchExpressions": [
                                {
                                    "key": "kubernetes.io/hostname",
                                    "operator": "In",
                                    "values": [node],
                                }
                            ]
                        }
                    ]
                }
            }
        created = self.world.store.create(PVS, pv)
        self.world.events.emit(
            pvc,
            "ProvisioningSucceeded",
            f"Successfully provisioned volume {name}",
            t,
            component=sc.get("provisioner", ""),
        )
        self._bind(created, pvc, t)

    def bind_for_consumer(self, pod: Obj, node: str, t: datetime) -> None:
        """WaitForFirstConsumer claims bind (or provision) once their pod has a node."""
        for volume in pod["spec"].get("volumes") or []:
            claim = (volume.get("persistentVolumeClaim") or {}).get("claimName")
            pvc = claim and self.world.store.peek(PVCS, pod["metadata"]["namespace"], claim)
            if not pvc or (pvc.get("status") or {}).get("phase") == "Bound":
                continue
            if not self._bind_static(pvc, t):
                sc = self._class(self.claim_class(pvc))
                if sc is not None:
                    self._provision(pvc, sc, node, t)

    def _explain(self, pvc: Obj, t: datetime) -> None:
        class_name = self.claim_class(pvc)
        sc = self._class(class_name)
        if sc is not None and sc.get("volumeBindingMode") == "WaitForFirstConsumer":
            reason, message, warning = (
                "WaitForFirstConsumer",
                "waiting for first consumer to be created before binding",
                False,
            )
        elif class_name and sc is None:
            reason, message, warning = (
                "ProvisioningFailed",
                f'storageclass.storage.k8s.io "{class_name}" not found',
                True,
            )
        else:
            reason, message, warning = (
                "FailedBinding",
                "no persistent volumes available for this claim and no storage class is set",
                True,
            )
        uid = pvc["metadata"]["uid"]
        if self.failures.get(uid) == message:
            return
        self.failures[uid] = message
        self.world.events.emit(
            pvc,
            reason,
            message,
            t,
            type_="Warning" if warning else "Normal",
            component="persistentvolume-controller",
        )

    def _make_available(self) -> bool:
        """A Released volume whose claimRef an operator removed can be bound again."""
        changed = False
        for pv in list(self.world.store.iter(PVS)):
            if (pv.get("status") or {}).get("phase") == "Released" and not pv["spec"].get(
                "claimRef"
            ):
                self.world.store.replace(
                    PVS,
                    {**pv, "status": {"phase": "Available"}},
                    check_version=False,
                    copy_result=False,
                )
                changed = True
        return changed

    def _release(self, t: datetime) -> bool:
        """Volumes whose claim is gone are Released (Retain) or deleted (Delete)."""
        changed = False
        for pv in list(self.world.store.iter(PVS)):
            ref = pv["spec"].get("claimRef")
            if not ref or (pv.get("status") or {}).get("phase") != "Bound":
                continue
            pvc = self.world.store.peek(PVCS, ref.get("namespace"), ref.get("name", ""))
            if pvc is not None and pvc["metadata"]["uid"] == ref.get("uid"):
                continue
            if pv["spec"].get("persistentVolumeReclaimPolicy", "Retain") == "Delete":
                self.world.store.delete(PVS, None, pv["metadata"]["name"])
            else:
                updated = copy.deepcopy(pv)
                updated["status"] = {"phase": "Released"}
                self.world.store.replace(PVS, updated, check_version=False, copy_result=False)
            changed = True
        return changed
