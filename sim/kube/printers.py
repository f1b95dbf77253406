"""Server-side printing: the Table a real API server returns for `kubectl get`.

The server always sends every column, priority 1 (`-o wide`) ones included; kubectl hides those.
Cell values follow pkg/printers/internalversion in Kubernetes 1.32.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sim.clock import parse_time
from sim.kube.errors import bad_request
from sim.kube.resources import ResourceType

Obj = dict[str, Any]
Column = tuple[str, str, int]  # (name, type, priority)
Printer = tuple[list[Column], Callable[[Obj, datetime], list[Any]]]


def human_duration(seconds: float) -> str:
    """apimachinery's HumanDuration: 90s, 2m5s, 10m, 5h30m, 30h, 2d2h, 10d, 2y70d."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    m = s // 60
    if m < 10:
        return f"{m}m" if s % 60 == 0 else f"{m}m{s % 60}s"
    if m < 180:
        return f"{m}m"
    h = m // 60
    if h < 8:
        return f"{h}h" if m % 60 == 0 else f"{h}h{m % 60}m"
    if h < 48:
        return f"{h}h"
    if h < 192:
        return f"{h // 24}d" if h % 24 == 0 else f"{h // 24}d{h % 24}h"
    if h < 2 * 8760:
        return f"{h // 24}d"
    y, days = h // 8760, (h // 24) % 365
    if h < 8 * 8760:
        return f"{y}y" if days == 0 else f"{y}y{days}d"
    return f"{y}y"


def age(timestamp: str | None, now: datetime) -> str:
    if not timestamp:
        return "<unknown>"
    return human_duration((now - parse_time(timestamp)).total_seconds())


def format_labels(labels: dict[str, str] | None) -> str:
    if not labels:
        return "<none>"
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


def format_selector(selector: Obj | None) -> str:
    if not selector:
        return "<none>"
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expr in selector.get("matchExpressions") or []:
        op, values = expr["operator"], ",".join(expr.get("values") or [])
        parts.append(
            {
                "In": f"{expr['key']} in ({values})",
                "NotIn": f"{expr['key']} notin ({values})",
                "Exists": expr["key"],
                "DoesNotExist": f"!{expr['key']}",
            }[op]
        )
    return ",".join(parts) or "<none>"


def _containers(spec: Obj) -> tuple[str, str]:
    containers = spec.get("containers") or []
    return (
        ",".join(c.get("name", "") for c in containers),
        ",".join(c.get("image", "") for c in containers),
    )


# -- per-kind printers -----------------------------------------------------------------------


def _pod(pod: Obj, now: datetime) -> list[Any]:
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    statuses = status.get("containerStatuses") or []
    total = len(spec.get("containers") or [])
    ready = sum(1 for c in statuses if c.get("ready") and "running" in (c.get("state") or {}))
    reason = status.get("reason") or status.get("phase") or ""
    restarts, last_restart = 0, None
    initializing = False
    for i, init in enumerate(status.get("initContainerStatuses") or []):
        state = init.get("state") or {}
        term, waiting = state.get("terminated"), state.get("waiting")
        if term and term.get("exitCode") == 0:
            continue
        initializing = True
        if term:
            reason = "Init:" + (term.get("reason") or f"ExitCode:{term.get('exitCode')}")
        elif waiting and waiting.get("reason") not in (None, "", "PodInitializing"):
            reason = f"Init:{waiting['reason']}"
        else:
            reason = f"Init:{i}/{len(spec.get('initContainers') or [])}"
        break
    conditions = {c["type"]: c.get("status") for c in status.get("conditions") or []}
    if not initializing or conditions.get("Initialized") == "True":
        has_running = False
        for c in reversed(statuses):
            restarts += c.get("restartCount", 0)
            finished = ((c.get("lastState") or {}).get("terminated") or {}).get("finishedAt")
            if finished and (last_restart is None or finished > last_restart):
                last_restart = finished
            state = c.get("state") or {}
            if (state.get("waiting") or {}).get("reason"):
                reason = state["waiting"]["reason"]
            elif (state.get("terminated") or {}).get("reason"):
                reason = state["terminated"]["reason"]
            elif state.get("terminated"):
                reason = f"ExitCode:{state['terminated'].get('exitCode')}"
            elif "running" in state and c.get("ready"):
                has_running = True
        if reason == "Completed" and has_running:
            reason = "Running" if conditions.get("Ready") == "True" else "NotReady"
    if pod["metadata"].get("deletionTimestamp"):
        reason = "Unknown" if status.get("reason") == "NodeLost" else "Terminating"
    restart_cell = str(restarts)
    if restarts and last_restart:
        restart_cell = f"{restarts} ({age(last_restart, now)} ago)"
    ips = status.get("podIPs") or []
    return [
        pod["metadata"]["name"],
        f"{ready}/{total}",
        reason,
        restart_cell,
        age(pod["metadata"].get("creationTimestamp"), now),
        ips[0]["ip"] if ips else (status.get("podIP") or "<none>"),
        spec.get("nodeName") or "<none>",
        status.get("nominatedNodeName") or "<none>",
        "<none>",
    ]


def _service(svc: Obj, now: datetime) -> list[Any]:
    spec = svc.get("spec") or {}
    kind = spec.get("type", "ClusterIP")
    ips = spec.get("clusterIPs") or ([spec["clusterIP"]] if spec.get("clusterIP") else [])
    if kind in ("ClusterIP", "NodePort"):
        external = ",".join(spec.get("externalIPs") or []) or "<none>"
    elif kind == "LoadBalancer":
        ingress = (svc.get("status") or {}).get("loadBalancer", {}).get("ingress") or []
        found = sorted({i.get("ip") or i.get("hostname") for i in ingress} - {None})
        external = ",".join(found + (spec.get("externalIPs") or [])) or "<pending>"
    elif kind == "ExternalName":
        external = spec.get("externalName", "")
    else:
        external = "<unknown>"
    ports = []
    for p in spec.get("ports") or []:
        node_port = f":{p['nodePort']}" if p.get("nodePort") else ""
        ports.append(f"{p.get('port')}{node_port}/{p.get('protocol', 'TCP')}")
    return [
        svc["metadata"]["name"],
        kind,
        ips[0] if ips else "<none>",
        external,
        ",".join(ports) or "<none>",
        age(svc["metadata"].get("creationTimestamp"), now),
        format_labels(spec.get("selector")),
    ]


def _endpoints(ep: Obj, now: datetime) -> list[Any]:
    entries = []
    for subset in ep.get("subsets") or []:
        ports = subset.get("ports") or []
        for address in subset.get("addresses") or []:
            if ports:
                entries += [f"{address['ip']}:{p['port']}" for p in ports]
            else:
                entries.append(address["ip"])
    text = ",".join(entries[:3]) or "<none>"
    if len(entries) > 3:
        text += f" + {len(entries) - 3} more..."
    return [ep["metadata"]["name"], text, age(ep["metadata"].get("creationTimestamp"), now)]


def _deployment(d: Obj, now: datetime) -> list[Any]:
    spec, status = d.get("spec") or {}, d.get("status") or {}
    names, images = _containers((spec.get("template") or {}).get("spec") or {})
    selector = format_selector(spec.get("selector"))
    return [
        d["metadata"]["name"],
        f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 1)}",
        status.get("updatedReplicas", 0),
        status.get("availableReplicas", 0),
        age(d["metadata"].get("creationTimestamp"), now),
        names,
        images,
        "" if selector == "<none>" else selector,
    ]


def _replicaset(rs: Obj, now: datetime) -> list[Any]:
    spec, status = rs.get("spec") or {}, rs.get("status") or {}
    names, images = _containers((spec.get("template") or {}).get("spec") or {})
    return [
        rs["metadata"]["name"],
        spec.get("replicas", 1),
        status.get("replicas", 0),
        status.get("readyReplicas", 0),
        age(rs["metadata"].get("creationTimestamp"), now),
        names,
        images,
        format_selector(spec.get("selector")),
    ]


def _statefulset(s: Obj, now: datetime) -> list[Any]:
    spec, status = s.get("spec") or {}, s.get("status") or {}
    names, images = _containers((spec.get("template") or {}).get("spec") or {})
    return [
        s["metadata"]["name"],
        f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 1)}",
        age(s["metadata"].get("creationTimestamp"), now),
        names,
        images,
    ]


def _daemonset(d: Obj, now: datetime) -> list[Any]:
    spec, status = d.get("spec") or {}, d.get("status") or {}
    template_spec = (spec.get("template") or {}).get("spec") or {}
    names, images = _containers(template_spec)
    return [
        d["metadata"]["name"],
        status.get("desiredNumberScheduled", 0),
        status.get("currentNumberScheduled", 0),
        status.get("numberReady", 0),
        status.get("updatedNumberScheduled", 0),
        status.get("numberAvailable", 0),
        format_labels(template_spec.get("nodeSelector")),
        age(d["metadata"].get("creationTimestamp"), now),
        names,
        images,
        format_selector(spec.get("selector")),
    ]


def _job(j: Obj, now: datetime) -> list[Any]:
    spec, status = j.get("spec") or {}, j.get("status") or {}
    conditions = {c["type"]: c.get("status") for c in status.get("conditions") or []}
    state = "Running"
    for kind in ("Complete", "Failed"):
        if conditions.get(kind) == "True":
            state = kind
            break
    else:
        if j["metadata"].get("deletionTimestamp"):
            state = "Terminating"
        elif conditions.get("Suspended") == "True":
            state = "Suspended"
    succeeded = status.get("succeeded", 0)
    if spec.get("completions") is not None:
        completions = f"{succeeded}/{spec['completions']}"
    elif spec.get("parallelism", 1) > 1:
        completions = f"{succeeded}/1 of {spec['parallelism']}"
    else:
        completions = f"{succeeded}/1"
    duration = ""
    if status.get("startTime"):
        end = parse_time(status["completionTime"]) if status.get("completionTime") else now
        duration = human_duration((end - parse_time(status["startTime"])).total_seconds())
    names, images = _containers((spec.get("template") or {}).get("spec") or {})
    return [
        j["metadata"]["name"],
        state,
        completions,
        duration,
        age(j["metadata"].get("creationTimestamp"), now),
        names,
        images,
        format_selector(spec.get("selector")),
    ]


def _cronjob(c: Obj, now: datetime) -> list[Any]:
    spec, status = c.get("spec") or {}, c.get("status") or {}
    job_spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    names, images = _containers((job_spec.get("template") or {}).get("spec") or {})
    suspend = spec.get("suspend")
    last = status.get("lastScheduleTime")
    return [
        c["metadata"]["name"],
        spec.get("schedule", ""),
        spec.get("timeZone") or "<none>",
        "<unset>" if suspend is None else str(bool(suspend)),
        len(status.get("active") or []),
        age(last, now) if last else "<none>",
        age(c["metadata"].get("creationTimestamp"), now),
        names,
        images,
        format_selector(job_spec.get("selector")),
    ]


def _configmap(cm: Obj, now: datetime) -> list[Any]:
    return [
        cm["metadata"]["name"],
        len(cm.get("data") or {}) + len(cm.get("binaryData") or {}),
        age(cm["metadata"].get("creationTimestamp"), now),
    ]


def _secret(s: Obj, now: datetime) -> list[Any]:
    return [
        s["metadata"]["name"],
        s.get("type", "Opaque"),
        len(s.get("data") or {}),
        age(s["metadata"].get("creationTimestamp"), now),
    ]


def _namespace(ns: Obj, now: datetime) -> list[Any]:
    return [
        ns["metadata"]["name"],
        (ns.get("status") or {}).get("phase", "Active"),
        age(ns["metadata"].get("creationTimestamp"), now),
    ]


_ACCESS = (
    ("ReadWriteOnce", "RWO"),
    ("ReadOnlyMany", "ROX"),
    ("ReadWriteMany", "RWX"),
    ("ReadWriteOncePod", "RWOP"),
)


def _access_modes(modes: list[str] | None) -> str:
    return ",".join(short for long, short in _ACCESS if long in (modes or []))


def _pvc(pvc: Obj, now: datetime) -> list[Any]:
    spec, status = pvc.get("spec") or {}, pvc.get("status") or {}
    phase = "Terminating" if pvc["metadata"].get("deletionTimestamp") else status.get("phase", "")
    bound = bool(spec.get("volumeName"))
    return [
        pvc["metadata"]["name"],
        phase,
        spec.get("volumeName", ""),
        (status.get("capacity") or {}).get("storage", "") if bound else "",
        _access_modes(status.get("accessModes")) if bound else "",
        spec.get("storageClassName") or "",
        "<unset>",
        age(pvc["metadata"].get("creationTimestamp"), now),
        spec.get("volumeMode", "<unset>"),
    ]


def _pv(pv: Obj, now: datetime) -> list[Any]:
    spec, status = pv.get("spec") or {}, pv.get("status") or {}
    claim = spec.get("claimRef")
    phase = "Terminating" if pv["metadata"].get("deletionTimestamp") else status.get("phase", "")
    return [
        pv["metadata"]["name"],
        (spec.get("capacity") or {}).get("storage", ""),
        _access_modes(spec.get("accessModes")),
        spec.get("persistentVolumeReclaimPolicy", "Retain"),
        phase,
        f"{claim.get('namespace')}/{claim.get('name')}" if claim else "",
        spec.get("storageClassName", ""),
        "<unset>",
        status.get("reason", ""),
        age(pv["metadata"].get("creationTimestamp"), now),
        spec.get("volumeMode", "<unset>"),
    ]


def _node(node: Obj, now: datetime) -> list[Any]:
    spec, status = node.get("spec") or {}, node.get("status") or {}
    ready = next((c for c in status.get("conditions") or [] if c["type"] == "Ready"), None)
    state = "Unknown" if ready is None else ("Ready" if ready["status"] == "True" else "NotReady")
    if spec.get("unschedulable"):
        state += ",SchedulingDisabled"
    roles = set()
    for key, value in (node["metadata"].get("labels") or {}).items():
        if key.startswith("node-role.kubernetes.io/") and key.split("/", 1)[1]:
            roles.add(key.split("/", 1)[1])
        elif key == "kubernetes.io/role" and value:
            roles.add(value)
    info = status.get("nodeInfo") or {}

    def address(kind: str) -> str:
        return next(
            (a["address"] for a in status.get("addresses") or [] if a["type"] == kind), "<none>"
        )

    return [
        node["metadata"]["name"],
        state,
        ",".join(sorted(roles)) or "<none>",
        age(node["metadata"].get("creationTimestamp"), now),
        info.get("kubeletVersion", ""),
        address("InternalIP"),
        address("ExternalIP"),
        info.get("osImage") or "<unknown>",
        info.get("kernelVersion") or "<unknown>",
        info.get("containerRuntimeVersion") or "<unknown>",
    ]


def _event(ev: Obj, now: datetime) -> list[Any]:
    first_ts = ev.get("firstTimestamp") or ev.get("eventTime")
    first = age(first_ts, now) if first_ts else "<unknown>"
    last = age(ev["lastTimestamp"], now) if ev.get("lastTimestamp") else first
    involved = ev.get("involvedObject") or {}
    obj = (involved.get("kind") or "").lower()
    if involved.get("name"):
        obj += "/" + involved["name"]
    source = ev.get("source") or {}
    origin = source.get("component") or ev.get("reportingComponent") or ""
    host = source.get("host") or ev.get("reportingInstance") or ""
    if host:
        origin += ", " + host
    return [
        last,
        ev.get("type", ""),
        ev.get("reason", ""),
        obj,
        involved.get("fieldPath", ""),
        origin,
        (ev.get("message") or "").strip(),
        first,
        ev.get("count") or 1,
        ev["metadata"]["name"],
    ]


def _hpa(h: Obj, now: datetime) -> list[Any]:
    spec, status = h.get("spec") or {}, h.get("status") or {}
    ref = spec.get("scaleTargetRef") or {}
    targets = []
    current = {
        m.get("resource", {}).get("name"): m.get("resource", {}).get("current", {})
        for m in status.get("currentMetrics") or []
    }
    for metric in spec.get("metrics") or []:
        resource = metric.get("resource") or {}
        name = resource.get("name", "")
        target = resource.get("target") or {}
        if target.get("type") == "Utilization":
            cur = current.get(name, {}).get("averageUtilization")
            cur_text = f"{cur}%" if cur is not None else "<unknown>"
            targets.append(f"{name}: {cur_text}/{target.get('averageUtilization', '<auto>')}%")
        else:
            cur = current.get(name, {}).get("averageValue", "<unknown>")
            targets.append(f"{name}: {cur}/{target.get('averageValue', '<auto>')}")
    text = ", ".join(targets[:2]) or "<none>"
    if len(targets) > 2:
        text += f" + {len(targets) - 2} more..."
    return [
        h["metadata"]["name"],
        f"{ref.get('kind')}/{ref.get('name')}",
        text,
        str(spec.get("minReplicas", "<unset>")),
        spec.get("maxReplicas", 0),
        status.get("currentReplicas", 0),
        age(h["metadata"].get("creationTimestamp"), now),
    ]


def _storageclass(sc: Obj, now: datetime) -> list[Any]:
    name = sc["metadata"]["name"]
    annotations = sc["metadata"].get("annotations") or {}
    if annotations.get("storageclass.kubernetes.io/is-default-class") == "true":
        name += " (default)"
    return [
        name,
        sc.get("provisioner", ""),
        sc.get("reclaimPolicy", "Delete"),
        sc.get("volumeBindingMode", "Immediate"),
        bool(sc.get("allowVolumeExpansion")),
        age(sc["metadata"].get("creationTimestamp"), now),
    ]


def _endpointslice(es: Obj, now: datetime) -> list[Any]:
    ports = ",".join(str(p.get("port")) for p in es.get("ports") or []) or "<unset>"
    addresses = [a for e in es.get("endpoints") or [] for a in e.get("addresses") or []]
    text = ",".join(addresses[:3]) or "<unset>"
    if len(addresses) > 3:
        text += f" + {len(addresses) - 3} more..."
    return [
        es["metadata"]["name"],
        es.get("addressType", ""),
        ports,
        text,
        age(es["metadata"].get("creationTimestamp"), now),
    ]


def _name_age(obj: Obj, now: datetime) -> list[Any]:
    return [obj["metadata"]["name"], age(obj["metadata"].get("creationTimestamp"), now)]


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
        _pod,
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
        _service,
    ),
    "Endpoints": ([_s("Name"), _s("Endpoints"), _s("Age")], _endpoints),
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
        _deployment,
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
        _replicaset,
    ),
    "StatefulSet": ([_s("Name"), _s("Ready"), _s("Age"), *_WORKLOAD_WIDE], _statefulset),
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
        _daemonset,
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
        _job,
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
        _cronjob,
    ),
    "ConfigMap": ([_s("Name"), _s("Data"), _s("Age")], _configmap),
    "Secret": ([_s("Name"), _s("Type"), _s("Data"), _s("Age")], _secret),
    "Namespace": ([_s("Name"), _s("Status"), _s("Age")], _namespace),
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
        _pvc,
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
        _pv,
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
        _node,
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
        _event,
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
        _hpa,
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
        _storageclass,
    ),
    "EndpointSlice": (
        [_s("Name"), _s("AddressType"), _s("Ports"), _s("Endpoints"), _s("Age")],
        _endpointslice,
    ),
}
_DEFAULT: Printer = ([_s("Name"), _s("Age")], _name_age)


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
