"""Validation of writes that come through the API, with the API server's own wording.

Only the rules an agent can trip over when fixing things are here: names, replicas, selectors,
ports, immutable fields, container images. Controllers write through the store directly.
"""

from __future__ import annotations

import json
import re
from typing import Any

from sim.kube import errors
from sim.kube.resources import ResourceType
from sim.kube.selectors import selector_matches

Obj = dict[str, Any]
Causes = list[tuple[str, str]]

_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_PORT_NAME = re.compile(r"^(?=.*[a-z])[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?$")
_LABEL_NAMED = {"Service", "Namespace"}
_WORKLOADS = {"Deployment", "ReplicaSet", "StatefulSet", "DaemonSet"}


def _go_map(value: Any) -> str:
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{v}" for k, v in sorted(value.items())) + "]"
    return json.dumps(value)


def validate(rt: ResourceType, current: Obj | None, new: Obj) -> None:
    """Raise a 422 Invalid for a write the real API server would refuse."""
    name = new.get("metadata", {}).get("name", "")
    causes: Causes = []
    pattern = _LABEL if rt.kind in _LABEL_NAMED else _SUBDOMAIN
    if name and (len(name) > (63 if rt.kind in _LABEL_NAMED else 253) or not pattern.match(name)):
        causes.append(
            (
                "metadata.name",
                f'Invalid value: "{name}": a lowercase RFC 1123 '
                "label must consist of lower case alphanumeric characters or '-', and "
                "must start and end with an alphanumeric character",
            )
        )
    spec = new.get("spec") or {}
    if rt.kind in _WORKLOADS:
        causes += _workload(spec, (current or {}).get("spec"))
    elif rt.kind == "Pod":
        causes += _pod_spec(spec, "spec")
        if current is not None:
            causes += _pod_update(current.get("spec") or {}, spec)
    elif rt.kind == "Service":
        causes += _service(spec, (current or {}).get("spec"))
    elif rt.kind == "PersistentVolumeClaim" and current is not None:
        causes += _pvc_update(current, new)
    if causes:
        raise errors.invalid(rt, name, causes)


def _workload(spec: Obj, old: Obj | None) -> Causes:
    causes: Causes = []
    replicas = spec.get("replicas", 1)
    if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
        causes.append(
            ("spec.replicas", f"Invalid value: {replicas}: must be greater than or equal to 0")
        )
    selector = spec.get("selector")
    template = spec.get("template") or {}
    labels = (template.get("metadata") or {}).get("labels") or {}
    if not selector:
        causes.append(("spec.selector", "Required value"))
    elif not selector_matches(selector, labels):
        causes.append(
            (
                "spec.template.metadata.labels",
                f"Invalid value: {_go_map(labels)}: `selector` does not match template `labels`",
            )
        )
    if old is not None and old.get("selector") != selector:
        causes.append(("spec.selector", f"Invalid value: {_go_map(selector)}: field is immutable"))
    causes += _pod_spec(template.get("spec") or {}, "spec.template.spec")
    return causes


def _pod_spec(spec: Obj, path: str) -> Causes:
    causes: Causes = []
    containers = spec.get("containers")
    if not containers:
        return [(f"{path}.containers", "Required value")]
    for i, container in enumerate(containers):
        where = f"{path}.containers[{i}]"
        if not container.get("name"):
            causes.append((f"{where}.name", "Required value"))
        if not container.get("image"):
            causes.append((f"{where}.image", "Required value"))
        for j, port in enumerate(container.get("ports") or []):
            value = port.get("containerPort")
            if not isinstance(value, int) or not 0 < value < 65536:
                causes.append(
                    (
                        f"{where}.ports[{j}].containerPort",
                        f"Invalid value: {value}: must be between 1 and 65535, inclusive",
                    )
                )
    return causes


def _pod_update(old: Obj, new: Obj) -> Causes:
    """Pods are immutable except images, activeDeadlineSeconds and added tolerations."""

    def mutable_view(spec: Obj) -> Obj:
        view: Obj = json.loads(json.dumps(spec))
        for container in view.get("containers") or []:
            container.pop("image", None)
        for container in view.get("initContainers") or []:
            container.pop("image", None)
        view.pop("activeDeadlineSeconds", None)
        view.pop("tolerations", None)
        return view

    if mutable_view(old) != mutable_view(new):
        return [
            (
                "spec",
                "Forbidden: pod updates may not change fields other than "
                "`spec.containers[*].image`,`spec.initContainers[*].image`,"
                "`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to "
                "existing tolerations),`spec.terminationGracePeriodSeconds` (allow it "
                "to be set to 1 if it was previously negative)",
            )
        ]
    return []


def _service(spec: Obj, old: Obj | None) -> Causes:
    causes: Causes = []
    ports = spec.get("ports") or []
    if not ports and spec.get("clusterIP") != "None" and spec.get("type") != "ExternalName":
        causes.append(("spec.ports", "Required value"))
    for i, port in enumerate(ports):
        value = port.get("port")
        if not isinstance(value, int) or not 0 < value < 65536:
            causes.append(
                (
                    f"spec.ports[{i}].port",
                    f"Invalid value: {value}: must be between 1 and 65535, inclusive",
                )
            )
        target = port.get("targetPort", value)
        if isinstance(target, int) and not isinstance(target, bool):
            if not 0 < target < 65536:
                causes.append(
                    (
                        f"spec.ports[{i}].targetPort",
                        f"Invalid value: {target}: must be between 1 and 65535, inclusive",
                    )
                )
        elif not isinstance(target, str) or not _PORT_NAME.match(target):
            causes.append(
                (
                    f"spec.ports[{i}].targetPort",
                    f"Invalid value: {json.dumps(target)}: must contain only alpha-numeric "
                    "characters (a-z, 0-9), and hyphens (-)",
                )
            )
    if (
        old is not None
        and old.get("clusterIP")
        and spec.get("clusterIP") not in (None, "", old.get("clusterIP"))
    ):
        causes.append(
            (
                "spec.clusterIPs[0]",
                'Invalid value: []string{"'
                + str(spec.get("clusterIP"))
                + '"}: may not change once set',
            )
        )
    return causes


def _pvc_update(current: Obj, new: Obj) -> Causes:
    def frozen(spec: Obj) -> Obj:
        return {k: v for k, v in spec.items() if k not in ("resources", "volumeName")}

    if frozen(current.get("spec") or {}) != frozen(new.get("spec") or {}):
        return [
            (
                "spec",
                "Forbidden: spec is immutable after creation except "
                "resources.requests and volumeAttributesClassName for bound claims",
            )
        ]
    return []
