"""Kubernetes JSON lists, digested into one line per object: what `kubectl get` would show and
an SRE reads first (state, readiness, restarts, the reason a container waits or died). A
compressed context has no room for 100 KB of JSON; it has room for these."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

Obj = dict[str, Any]


def digest(raw: str) -> list[str] | None:
    """One line per object of a `kubectl get ... -o json` answer; None if `raw` is not one."""
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    items = data.get("items") if "items" in data else [data]
    if not isinstance(items, list):
        return None
    lines = []
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("metadata"), dict):
            line = _LINES.get(str(item.get("kind")), _generic)(item)
            if line:
                lines.append(line)
    return lines


def _name(obj: Obj) -> str:
    return f"{str(obj.get('kind', '')).lower()}/{obj['metadata'].get('name', '?')}"


def _pod(obj: Obj) -> str:
    status = obj.get("status") or {}
    statuses = status.get("containerStatuses") or []
    ready = sum(bool(s.get("ready")) for s in statuses)
    restarts = sum(int(s.get("restartCount") or 0) for s in statuses)
    notes = []
    for s in statuses:
        state, last = s.get("state") or {}, s.get("lastState") or {}
        if "waiting" in state:
            notes.append(f"{s.get('name')} waiting: {state['waiting'].get('reason')}")
        if "terminated" in last:
            done = last["terminated"]
            notes.append(f"{s.get('name')} last exit {done.get('exitCode')} {done.get('reason')}")
    for c in status.get("conditions") or []:
        if c.get("status") == "False" and c.get("reason"):
            notes.append(f"{c.get('type')}: {c.get('reason')} {c.get('message', '')}".strip())
    head = f"{_name(obj)} {status.get('phase')} ready {ready}/{len(statuses)}"
    head += f" restarts {restarts}" if restarts else ""
    node = (obj.get("spec") or {}).get("nodeName")
    return head + (f" node {node}" if node else "") + "".join(f"; {n}" for n in notes)


def _deployment(obj: Obj) -> str:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    line = f"{_name(obj)} ready {status.get('readyReplicas', 0)}/{spec.get('replicas', 1)}"
    line += f" updated {status.get('updatedReplicas', 0)}"
    for c in status.get("conditions") or []:
        if c.get("status") == "False":
            line += f"; {c.get('type')}: {c.get('reason')}"
    return line


def _replicaset(obj: Obj) -> str | None:
    if not (obj.get("spec") or {}).get("replicas"):
        return None  # old revisions scaled to zero say nothing about now
    status = obj.get("status") or {}
    return f"{_name(obj)} ready {status.get('readyReplicas', 0)}/{obj['spec']['replicas']}"


def _service(obj: Obj) -> str:
    ports = [
        f"{p.get('port')}->{p.get('targetPort', p.get('port'))}"
        for p in (obj.get("spec") or {}).get("ports") or []
    ]
    return f"{_name(obj)} ports {','.join(ports) or '-'}"


def _endpoints(obj: Obj) -> str:
    subsets = obj.get("subsets") or []
    ready = sum(len(s.get("addresses") or []) for s in subsets)
    unready = sum(len(s.get("notReadyAddresses") or []) for s in subsets)
    ports = sorted({str(p.get("port")) for s in subsets for p in s.get("ports") or []})
    line = f"{_name(obj)} ready {ready} not-ready {unready}"
    return line + (f" ports {','.join(ports)}" if ports else "")


def _event(obj: Obj) -> str | None:
    if obj.get("type") != "Warning":
        return None  # Normal events are the noise of a healthy cluster
    about = obj.get("involvedObject") or {}
    count = obj.get("count") or 1
    return (
        f"Warning {obj.get('reason')} {str(about.get('kind', '')).lower()}/{about.get('name')}:"
        f" {obj.get('message', '')}" + (f" (×{count})" if count > 1 else "")
    )


def _configmap(obj: Obj) -> str:
    return f"{_name(obj)} keys {','.join(sorted(obj.get('data') or {})) or '-'}"


def _claim(obj: Obj) -> str:
    return f"{_name(obj)} {(obj.get('status') or {}).get('phase')}"


def _generic(obj: Obj) -> str:
    return _name(obj)


_LINES: dict[str, Callable[[Obj], str | None]] = {
    "Pod": _pod,
    "Deployment": _deployment,
    "StatefulSet": _deployment,
    "ReplicaSet": _replicaset,
    "Service": _service,
    "Endpoints": _endpoints,
    "Event": _event,
    "ConfigMap": _configmap,
    "PersistentVolumeClaim": _claim,
}
