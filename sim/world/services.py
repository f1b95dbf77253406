"""The endpoints and endpointslice controllers, and the garbage collector."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sim.kube.resources import RESOURCE_TYPES, resource_for_kind

if TYPE_CHECKING:
    from sim.world.runtime import World

Obj = dict[str, Any]
PODS = resource_for_kind("Pod")
SERVICES = resource_for_kind("Service")
ENDPOINTS = resource_for_kind("Endpoints")
SLICES = resource_for_kind("EndpointSlice")
MANAGED_BY = "endpointslice-controller.k8s.io"


def _target_port(service_port: Obj, pod: Obj) -> int | None:
    target = service_port.get("targetPort", service_port.get("port"))
    if isinstance(target, int):
        return target
    for container in pod["spec"].get("containers") or []:
        for port in container.get("ports") or []:
            if port.get("name") == target:
                return int(port["containerPort"])
    return None


class EndpointsController:
    """Endpoints and EndpointSlices from Services and their pods: a function of those four
    kinds alone (not of the time), so a pass over unchanged ones is skipped."""

    def __init__(self, world: World) -> None:
        self.world = world
        self._settled_at: tuple[int, ...] | None = None  # inputs' revisions at the last no-op

    def sync(self, t: datetime) -> bool:
        store = self.world.store
        inputs = tuple(store.kind_revision(rt) for rt in (PODS, SERVICES, ENDPOINTS, SLICES))
        if inputs == self._settled_at:
            return False
        changed = False
        for service in list(store.iter(SERVICES)):
            selector = (service.get("spec") or {}).get("selector")
            if not selector:
                continue
            changed |= self._sync_service(service, selector)
        self._settled_at = None if changed else inputs
        return changed

    def _sync_service(self, service: Obj, selector: dict[str, str]) -> bool:
        namespace, _name = service["metadata"]["namespace"], service["metadata"]["name"]
        pods = [
            p
            for p in self.world.store.iter(PODS, namespace)
            if all((p["metadata"].get("labels") or {}).get(k) == v for k, v in selector.items())
            and (p.get("status") or {}).get("podIP")
            and not p["metadata"].get("deletionTimestamp")
        ]
        service_ports = (service.get("spec") or {}).get("ports") or []
        subsets: dict[tuple[tuple[str, int, str], ...], Obj] = {}
        for pod in pods:
            ports = []
            for sp in service_ports:
                target = _target_port(sp, pod)
                if target is not None:
                    ports.append((sp.get("name", ""), target, sp.get("protocol", "TCP")))
            if service_ports and not ports:
                continue
            key = tuple(ports)
            subset = subsets.setdefault(
                key,
                {
                    "addresses": [],
                    "notReadyAddresses": [],
                    "ports": [
                        {"name": n, "port": p, "protocol": pr} if n else {"port": p, "protocol": pr}
                        for n, p, pr in ports
                    ],
                },
            )
            address = {
                "ip": pod["status"]["podIP"],
                "nodeName": pod["spec"].get("nodeName"),
                "targetRef": {
                    "kind": "Pod",
                    "namespace": namespace,
                    "name": pod["metadata"]["name"],
                    "uid": pod["metadata"]["uid"],
                },
            }
            ready = self.world.pod_ready(pod)
            subset["addresses" if ready else "notReadyAddresses"].append(address)
        clean = []
        for subset in subsets.values():
            clean.append({k: v for k, v in subset.items() if v})
        changed = self._write_endpoints(service, clean)
        changed |= self._write_slice(service, clean)
        return changed

    def _write_endpoints(self, service: Obj, subsets: list[Obj]) -> bool:
        namespace, name = service["metadata"]["namespace"], service["metadata"]["name"]
        current = self.world.store.peek(ENDPOINTS, namespace, name)
        labels = dict(service["metadata"].get("labels") or {})
        if current is None:
            body: Obj = {"metadata": {"name": name, "namespace": namespace, "labels": labels}}
            if subsets:
                body["subsets"] = subsets
            self.world.store.create(ENDPOINTS, body, copy_result=False)
            return True
        if (current.get("subsets") or []) == subsets:
            return False
        updated = copy.deepcopy(current)
        if subsets:
            updated["subsets"] = subsets
        else:
            updated.pop("subsets", None)
        self.world.store.replace(ENDPOINTS, updated, check_version=False, copy_result=False)
        return True

    def _write_slice(self, service: Obj, subsets: list[Obj]) -> bool:
        namespace, name = service["metadata"]["namespace"], service["metadata"]["name"]
        existing = next(
            (
                s
                for s in self.world.store.iter(SLICES, namespace)
                if (s["metadata"].get("labels") or {}).get("kubernetes.io/service-name") == name
            ),
            None,
        )
        endpoints = []
        ports: list[Obj] = []
        for subset in subsets:
            ports = subset.get("ports") or ports
            for kind in ("addresses", "notReadyAddresses"):
                for address in subset.get(kind) or []:
                    ready = kind == "addresses"
                    endpoints.append(
                        {
                            "addresses": [address["ip"]],
                            "conditions": {"ready": ready, "serving": ready, "terminating": False},
                            "nodeName": address.get("nodeName"),
                            "targetRef": address["targetRef"],
                        }
                    )
        body: Obj = {"addressType": "IPv4", "endpoints": endpoints, "ports": ports}
        if existing is None:
            self.world.store.create(
                SLICES,
                {
                    "metadata": {
                        "name": f"{name}-{self.world.store.random_suffix()}",
                        "namespace": namespace,
                        "labels": {
                            "kubernetes.io/service-name": name,
                            "endpointslice.kubernetes.io/managed-by": MANAGED_BY,
                        },
                        "ownerReferences": [
                            {
                                "apiVersion": "v1",
                                "kind": "Service",
                                "name": name,
                                "uid": service["metadata"]["uid"],
                                "controller": True,
                                "blockOwnerDeletion": True,
                            }
                        ],
                    },
                    **body,
                },
                copy_result=False,
            )
            return True
        if all(existing.get(k) == v for k, v in body.items()):
            return False
        self.world.store.replace(
            SLICES, {**existing, **body}, check_version=False, copy_result=False
        )
        return True


class GarbageCollector:
    """Deletes dependents whose owner is gone (background propagation). What it finds
    depends on the stored objects alone, so it has nothing to do until something is written."""

    def __init__(self, world: World) -> None:
        self.world = world
        self._settled_at: int | None = None  # the store revision at its last no-op

    def sync(self, t: datetime) -> bool:
        store = self.world.store
        if store.revision == self._settled_at:
            return False
        stored = [rt for rt in RESOURCE_TYPES if not rt.virtual]
        uids = {obj["metadata"]["uid"] for rt in stored for obj in store.iter(rt)}
        changed = False
        for rt in stored:
            for obj in list(store.iter(rt)):
                refs = obj["metadata"].get("ownerReferences") or []
                if refs and not any(ref.get("uid") in uids for ref in refs):
                    if rt.kind == "Pod":
                        self.world.delete_pod(obj, t)
                    else:
                        store.delete(rt, obj["metadata"].get("namespace"), obj["metadata"]["name"])
                    changed = True
        self._settled_at = None if changed else store.revision
        return changed
