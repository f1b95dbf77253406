"""Fault primitives: reusable, parameterised ways to break an app, each injected through the
same API writes (or in-datastore commands) an operator's mistake or an attacker would use.

A scenario names primitives and parameters; nothing here knows any scenario. Symptoms are not
scripted: they follow from the changed world (a Service pointing at a closed port, a revoked
role, a missing node), so fixing the cause through the API heals the app.
"""

from __future__ import annotations

from datetime import UTC
from typing import TYPE_CHECKING, Any

from sim.clock import rfc3339
from sim.kube.patch import STRATEGIC
from sim.kube.targets import Target
from sim.registry import Registry
from sim.world.mongo import ShellError, run_shell_script

if TYPE_CHECKING:
    from sim.cluster import SimCluster
    from sim.scenario import FaultSpec

Obj = dict[str, Any]


class FaultError(RuntimeError):
    """A fault could not be injected (e.g. its target does not exist in the app)."""


PRIMITIVES: Registry[None] = Registry("primitive")


def inject(cluster: SimCluster, namespace: str, fault: FaultSpec) -> None:
    PRIMITIVES.run(cluster, namespace, fault.primitive, fault.params)


# -- helpers --------------------------------------------------------------------------------


def _get(cluster: SimCluster, kind: str, namespace: str | None, name: str) -> Obj:
    try:
        return cluster.api.get(Target.of(kind, namespace, name))
    except Exception as exc:
        raise FaultError(f"{kind} {namespace}/{name} not found") from exc


def _pods_of(cluster: SimCluster, namespace: str, workload: str) -> list[Obj]:
    deployment = _get(cluster, "Deployment", namespace, workload)
    labels = (deployment["spec"].get("selector") or {}).get("matchLabels") or {}
    selector = ",".join(f"{k}={v}" for k, v in labels.items())
    return cluster.api.list(Target.of("Pod", namespace), selector)


def delete_pods(cluster: SimCluster, namespace: str, names: list[str]) -> None:
    for name in names:
        for pod in _pods_of(cluster, namespace, name):
            cluster.api.delete(Target.of("Pod", namespace, pod["metadata"]["name"]))


def rollout_restart(cluster: SimCluster, namespace: str, deployment: str) -> None:
    stamp = rfc3339(cluster.world.now.astimezone(UTC))
    body = {
        "spec": {
            "template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": stamp}}}
        }
    }
    cluster.api.patch(Target.of("Deployment", namespace, deployment), body, STRATEGIC)


def _mongo_shell(cluster: SimCluster, namespace: str, target: str, script: str, user: str) -> None:
    pods = [p for p in _pods_of(cluster, namespace, target) if p["spec"].get("nodeName")]
    if not pods:
        raise FaultError(f"no running pod of {target} to run the mongo shell in")
    data = cluster.world.mongo_data(pods[0])
    try:
        run_shell_script(data, script, as_user=user)
    except ShellError as exc:
        raise FaultError(f"mongo shell on {target}: {exc}") from exc


# Each module registers its primitives on import.
from sim.faults import aiopslab, capacity, infrastructure, workloads  # noqa: E402

__all__ = [
    "PRIMITIVES",
    "FaultError",
    "aiopslab",
    "capacity",
    "infrastructure",
    "inject",
    "workloads",
]
