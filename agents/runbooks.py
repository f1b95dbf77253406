"""Runbooks: the operators' own repair scripts, kept in ConfigMaps their pods mount, that the
policy declares per namespace (executor.runbooks). Some repairs need credentials AOI must
never hold (a database's admin password); the runbook has them, so AOI proposes to run it by
name, `kubectl exec POD -n NS -c C -- bash PATH`, and never sees, stores or posts a secret.

The proposal pins the ConfigMap (uid and resourceVersion as the Probe saw it); right before
the exec, `preflight` re-reads the pod and the ConfigMap and refuses unless PATH is still
mounted in that container from that key of that ConfigMap, unchanged and still declared."""

from __future__ import annotations

import json
import posixpath
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from agents.models import ProposedAction, RunbookRef
from agents.tools.kubectl import Kubectl
from policies import Policy, default_policy
from policies.command import parse_kubectl

Obj = dict[str, Any]


@dataclass(frozen=True)
class MountedScript:
    """One file a container sees at `path`, mounted from `key` of ConfigMap `configmap`."""

    container: str
    path: str
    configmap: str
    key: str


def mounted_scripts(pod: Obj, configmaps: dict[str, Obj]) -> Iterator[MountedScript]:
    """Every ConfigMap file the pod's containers see, with where it comes from (keys mapped
    by `items`, whole-volume mounts, and `subPath` mounts of a single key)."""
    volumes = {v.get("name"): v for v in (pod.get("spec") or {}).get("volumes") or []}
    for container in (pod.get("spec") or {}).get("containers") or []:
        for mount in container.get("volumeMounts") or []:
            source = (volumes.get(mount.get("name")) or {}).get("configMap") or {}
            name = source.get("name")
            if not name or name not in configmaps:
                continue
            keys = sorted((configmaps[name].get("data") or {}).keys())
            mapping = {i["key"]: i.get("path", i["key"]) for i in source.get("items") or []}
            files = mapping or {key: key for key in keys}
            for key, relative in sorted(files.items()):
                sub = mount.get("subPath")
                if sub:
                    if sub != relative:
                        continue
                    path = mount["mountPath"]
                else:
                    path = posixpath.join(mount["mountPath"], relative)
                yield MountedScript(container["name"], path, name, key)


def propose(
    namespace: str, pod: Obj, script: MountedScript, configmap: Obj, why: str
) -> ProposedAction:
    """Run one mounted runbook script in the pod, pinned to the ConfigMap as seen."""
    meta = configmap.get("metadata") or {}
    return ProposedAction(
        command=[
            "kubectl",
            "exec",
            pod["metadata"]["name"],
            "-n",
            namespace,
            "-c",
            script.container,
            "--",
            "bash",
            script.path,
        ],
        rationale=why,
        runbook=RunbookRef(
            configmap=script.configmap,
            key=script.key,
            uid=str(meta.get("uid", "")),
            resource_version=str(meta.get("resourceVersion", "")),
        ),
    )


def preflight(
    reader: Kubectl, argv: list[str], runbook: RunbookRef, policy: Policy | None = None
) -> str | None:
    """Why this exec may not run now (None when it may): the pod, the mount and the pinned
    ConfigMap are read again, as the read-only identity."""
    policy = policy or default_policy()
    command = parse_kubectl(argv)
    namespace = command.namespace or ""
    if runbook.configmap not in policy.executor.runbooks_in(namespace):
        return f"{runbook.configmap} is not a runbook the policy declares for {namespace}"
    pod_name = command.resources()[0].name or ""
    path = (command.remote or ("", ""))[-1]
    container = command.flag("container") or None
    pod = _read(reader, ["kubectl", "get", "pod", pod_name, "-n", namespace, "-o", "json"])
    if isinstance(pod, str):
        return pod
    cm = _read(
        reader, ["kubectl", "get", "configmap", runbook.configmap, "-n", namespace, "-o", "json"]
    )
    if isinstance(cm, str):
        return cm
    meta = cm.get("metadata") or {}
    if (str(meta.get("uid")), str(meta.get("resourceVersion"))) != (
        runbook.uid,
        runbook.resource_version,
    ):
        return f"configmap {runbook.configmap} changed since the fix was proposed"
    mounted = [
        s
        for s in mounted_scripts(pod, {runbook.configmap: cm})
        if s.path == path and (container is None or s.container == container)
    ]
    if not any(s.key == runbook.key for s in mounted):
        return f"{path} in pod {pod_name} is not {runbook.configmap}/{runbook.key}"
    return None


def _read(reader: Kubectl, argv: list[str]) -> Obj | str:
    call = reader.run(argv)
    if not call.ok:
        return f"cannot read {argv[2]} {argv[3]}: {call.output.strip()}"
    try:
        obj = json.loads(call.raw)
    except ValueError:
        return f"cannot read {argv[2]} {argv[3]}: not JSON"
    return obj if isinstance(obj, dict) else f"cannot read {argv[2]} {argv[3]}"
