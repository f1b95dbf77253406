"""Server-side printing: the Table a real API server returns for `kubectl get`.

The server always sends every column, priority 1 (`-o wide`) ones included; kubectl hides those.
Cell values follow pkg/printers/internalversion in Kubernetes 1.32 (see sim/kube/rows).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sim.kube.errors import bad_request
from sim.kube.resources import ResourceType
from sim.kube.rows import core, workloads

Obj = dict[str, Any]
Column = tuple[str, str, int]  # (name, type, priority)
Printer = tuple[list[Column], Callable[[Obj, datetime], list[Any]]]


def _s(name: str, priority: int = 0) -> Column:
    return (name, "string", priority)


def _i(name: str, priority: int = 0) -> Column:
    return (name, "integer", priority)


_WORKLOAD_WIDE = [_s("Containers", 1), _s("Images", 1)]
PRINTERS: dict[str, Printer] = {
    "Pod": (
        [
            _s("Name"),
            _s("Ready"),
            _s("Status"),
            _s("Restarts"),
            _s("Age"),
            _s("IP", 1),
            _s("Node", 1),
            _s("Nominated Node", 1),
            _s("Readiness Gates", 1),
        ],
        core.pod,
    ),
    "Service": (
        [
            _s("Name"),
            _s("Type"),
            _s("Cluster-IP"),
            _s("External-IP"),
            _s("Port(s)"),
            _s("Age"),
            _s("Selector", 1),
        ],
        core.service,
    ),
    "Endpoints": ([_s("Name"), _s("Endpoints"), _s("Age")], core.endpoints),
    "Deployment": (
        [
            _s("Name"),
            _s("Ready"),
            _s("Up-to-date"),
            _s("Available"),
            _s("Age"),
            *_WORKLOAD_WIDE,
            _s("Selector", 1),
        ],
        workloads.deployment,
    ),
    "ReplicaSet": (
        [
            _s("Name"),
            _i("Desired"),
            _i("Current"),
            _i("Ready"),
            _s("Age"),
            *_WORKLOAD_WIDE,
            _s("Selector", 1),
        ],
        workloads.replicaset,
    ),
    "StatefulSet": ([_s("Name"), _s("Ready"), _s("Age"), *_WORKLOAD_WIDE], workloads.statefulset),
    "DaemonSet": (
        [
            _s("Name"),
            _i("Desired"),
            _i("Current"),
            _i("Ready"),
            _i("Up-to-date"),
            _i("Available"),
            _s("Node Selector"),
            _s("Age"),
            *_WORKLOAD_WIDE,
            _s("Selector", 1),
        ],
        workloads.daemonset,
    ),
    "Job": (
        [
            _s("Name"),
            _s("Status"),
            _s("Completions"),
            _s("Duration"),
            _s("Age"),
            *_WORKLOAD_WIDE,
            _s("Selector", 1),
        ],
        workloads.job,
    ),
    "CronJob": (
        [
            _s("Name"),
            _s("Schedule"),
            _s("Timezone"),
            ("Suspend", "boolean", 0),
            _i("Active"),
            _s("Last Schedule"),
            _s("Age"),
            *_WORKLOAD_WIDE,
            _s("Selector", 1),
        ],
        workloads.cronjob,
    ),
    "ConfigMap": ([_s("Name"), _s("Data"), _s("Age")], core.configmap),
    "Secret": ([_s("Name"), _s("Type"), _s("Data"), _s("Age")], core.secret),
    "Namespace": ([_s("Name"), _s("Status"), _s("Age")], core.namespace),
    "PersistentVolumeClaim": (
        [
            _s("Name"),
            _s("Status"),
            _s("Volume"),
            _s("Capacity"),
            _s("Access Modes"),
            _s("StorageClass"),
            _s("VolumeAttributesClass"),
            _s("Age"),
            _s("VolumeMode", 1),
        ],
        core.pvc,
    ),
    "PersistentVolume": (
        [
            _s("Name"),
            _s("Capacity"),
            _s("Access Modes"),
            _s("Reclaim Policy"),
            _s("Status"),
            _s("Claim"),
            _s("StorageClass"),
            _s("VolumeAttributesClass"),
            _s("Reason"),
            _s("Age"),
            _s("VolumeMode", 1),
        ],
        core.pv,
    ),
    "Node": (
        [
            _s("Name"),
            _s("Status"),
            _s("Roles"),
            _s("Age"),
            _s("Version"),
            _s("Internal-IP", 1),
            _s("External-IP", 1),
            _s("OS-Image", 1),
            _s("Kernel-Version", 1),
            _s("Container-Runtime", 1),
        ],
        core.node,
    ),
    "Event": (
        [
            _s("Last Seen"),
            _s("Type"),
            _s("Reason"),
            _s("Object"),
            _s("Subobject", 1),
            _s("Source", 1),
            _s("Message"),
            _s("First Seen", 1),
            _i("Count", 1),
            _s("Name", 1),
        ],
        core.event,
    ),
    "HorizontalPodAutoscaler": (
        [
            _s("Name"),
            _s("Reference"),
            _s("Targets"),
            _s("MinPods"),
            _s("MaxPods"),
            _s("Replicas"),
            _s("Age"),
        ],
        workloads.hpa,
    ),
    "StorageClass": (
        [
            _s("Name"),
            _s("Provisioner"),
            _s("ReclaimPolicy"),
            _s("VolumeBindingMode"),
            ("AllowVolumeExpansion", "boolean", 0),
            _s("Age"),
        ],
        core.storageclass,
    ),
    "EndpointSlice": (
        [_s("Name"), _s("AddressType"), _s("Ports"), _s("Endpoints"), _s("Age")],
        core.endpointslice,
    ),
}
_DEFAULT: Printer = ([_s("Name"), _s("Age")], core.name_age)


def table(
    rt: ResourceType,
    objects: list[Obj],
    now: datetime,
    include_object: str | None,
    resource_version: str = "",
) -> Obj:
    """A meta.k8s.io/v1 Table for the objects, with rows in the order given."""
    columns, render = PRINTERS.get(rt.kind, _DEFAULT)
    mode = include_object or "Metadata"
    if mode not in ("None", "Metadata", "Object"):
        raise bad_request(f"unrecognized includeObject value: {mode!r}")
    rows = []
    for obj in objects:
        row: Obj = {"cells": render(obj, now)}
        if mode == "Object":
            row["object"] = obj
        elif mode == "Metadata":
            row["object"] = {
                "kind": "PartialObjectMetadata",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": obj.get("metadata", {}),
            }
        else:
            row["object"] = None
        phase = (obj.get("status") or {}).get("phase") if rt.kind == "Pod" else None
        if phase in ("Succeeded", "Failed"):
            row["conditions"] = [
                {
                    "type": "Completed",
                    "status": "True",
                    "reason": phase,
                    "message": "The pod has completed successfully."
                    if phase == "Succeeded"
                    else "The pod failed.",
                }
            ]
        rows.append(row)
    definitions = [
        {
            "name": name,
            "type": kind,
            "format": "name" if name == "Name" else "",
            "description": "",
            "priority": priority,
        }
        for name, kind, priority in columns
    ]
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": resource_version},
        "columnDefinitions": definitions,
        "rows": rows,
    }
