"""Rows of the core kinds: pods, services, endpoints, config, storage, nodes, events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sim.kube.rows.format import age, format_labels

Obj = dict[str, Any]


def pod(pod: Obj, now: datetime) -> list[Any]:
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


def service(svc: Obj, now: datetime) -> list[Any]:
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


def endpoints(ep: Obj, now: datetime) -> list[Any]:
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


def configmap(cm: Obj, now: datetime) -> list[Any]:
    return [
        cm["metadata"]["name"],
        len(cm.get("data") or {}) + len(cm.get("binaryData") or {}),
        age(cm["metadata"].get("creationTimestamp"), now),
    ]


def secret(s: Obj, now: datetime) -> list[Any]:
    return [
        s["metadata"]["name"],
        s.get("type", "Opaque"),
        len(s.get("data") or {}),
        age(s["metadata"].get("creationTimestamp"), now),
    ]


def namespace(ns: Obj, now: datetime) -> list[Any]:
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


def pvc(pvc: Obj, now: datetime) -> list[Any]:
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


def pv(pv: Obj, now: datetime) -> list[Any]:
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


def node(node: Obj, now: datetime) -> list[Any]:
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


def event(ev: Obj, now: datetime) -> list[Any]:
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


def storageclass(sc: Obj, now: datetime) -> list[Any]:
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


def endpointslice(es: Obj, now: datetime) -> list[Any]:
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


def name_age(obj: Obj, now: datetime) -> list[Any]:
    return [obj["metadata"]["name"], age(obj["metadata"].get("creationTimestamp"), now)]
