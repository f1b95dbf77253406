"""Defaulting on create, as the API server's defaulters and admission plugins do it: protocol
TCP, targetPort = port, a cluster IP from the service range, pod defaults."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sim.kube.resources import ResourceType, resource_for_kind

if TYPE_CHECKING:
    from sim.world.runtime import World

Obj = dict[str, Any]
SERVICES = resource_for_kind("Service")


def _container_defaults(spec: Obj) -> None:
    for container in (spec.get("initContainers") or []) + (spec.get("containers") or []):
        for port in container.get("ports") or []:
            port.setdefault("protocol", "TCP")


def admit(world: World, rt: ResourceType, obj: Obj) -> None:
    """Fill in the defaults a real API server would before storing `obj` (mutates it)."""
    spec = (
        obj.setdefault("spec", {})
        if rt.kind
        not in (
            "ConfigMap",
            "Secret",
            "Event",
            "Namespace",
            "StorageClass",
            "Endpoints",
            "EndpointSlice",
            "Lease",
        )
        else None
    )
    if rt.kind == "Service" and spec is not None:
        spec.setdefault("type", "ClusterIP")
        spec.setdefault("sessionAffinity", "None")
        for port in spec.get("ports") or []:
            port.setdefault("protocol", "TCP")
            port.setdefault("targetPort", port.get("port"))
        if spec.get("type") != "ExternalName":
            if not spec.get("clusterIP"):
                spec["clusterIP"] = _service_ip(world)
            spec["clusterIPs"] = [spec["clusterIP"]]
            spec.setdefault("ipFamilies", ["IPv4"])
            spec.setdefault("ipFamilyPolicy", "SingleStack")
            spec.setdefault("internalTrafficPolicy", "Cluster")
        if spec.get("type") == "NodePort":
            for i, port in enumerate(spec.get("ports") or []):
                port.setdefault(
                    "nodePort", 30000 + world.stable_hash(obj["metadata"].get("name"), i) % 2767
                )
    elif rt.kind == "Pod" and spec is not None:
        _container_defaults(spec)
    elif rt.kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job") and spec:
        _container_defaults((spec.get("template") or {}).setdefault("spec", {}))
        if rt.kind == "Deployment":
            spec.setdefault(
                "strategy",
                {
                    "type": "RollingUpdate",
                    "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
                },
            )
            spec.setdefault("revisionHistoryLimit", 10)
            spec.setdefault("progressDeadlineSeconds", 600)
        if rt.kind == "Job":
            spec.setdefault("backoffLimit", 6)
            spec.setdefault("completions", 1)
            spec.setdefault("parallelism", 1)
            template = spec.setdefault("template", {})
            template.setdefault("spec", {}).setdefault("restartPolicy", "Never")
    elif rt.kind == "PersistentVolume" and spec is not None:
        spec.setdefault("persistentVolumeReclaimPolicy", "Retain")
        spec.setdefault("volumeMode", "Filesystem")
        obj.setdefault("status", {"phase": "Available"})
    elif rt.kind == "PersistentVolumeClaim" and spec is not None:
        spec.setdefault("volumeMode", "Filesystem")
        obj.setdefault("status", {"phase": "Pending"})
    elif rt.kind == "Namespace":
        obj.setdefault("spec", {"finalizers": ["kubernetes"]})
        obj.setdefault("status", {"phase": "Active"})
        obj["metadata"].setdefault("labels", {})["kubernetes.io/metadata.name"] = obj["metadata"][
            "name"
        ]
    elif rt.kind == "Secret":
        obj.setdefault("type", "Opaque")


def _service_ip(world: World) -> str:
    used = {s["spec"].get("clusterIP") for s in world.store.iter(SERVICES)}
    n = world.stable_hash("service-ip", len(used)) % 60000 + 100
    while True:
        ip = f"10.96.{n // 250}.{n % 250 + 2}"
        if ip not in used:
            return ip
        n = (n + 1) % 60000 + 100
