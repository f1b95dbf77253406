"""Everyday mistakes in a workload's spec or configuration: limits too low for the service,
an environment value or a ConfigMap entry it cannot parse, probes that do not fit it. Each is
one API write an engineer could make by hand; the symptoms follow from the world."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

import yaml
from pydantic import Field

from sim.faults import PRIMITIVES, FaultError, _get, delete_pods, rollout_restart
from sim.kube.targets import Target
from sim.registry import Params

if TYPE_CHECKING:
    from sim.cluster import SimCluster

Obj = dict[str, Any]


class ContainerParams(Params):
    workload: str
    container: str | None = None  # default: the first container
    kind: Literal["Deployment", "StatefulSet", "DaemonSet"] = "Deployment"
    # Replace all pods at once (strategy Recreate, as singletons often use) instead of a
    # rolling update that keeps the old pod serving while the new one fails.
    recreate: bool = False


def edit_container(
    cluster: SimCluster, namespace: str, p: ContainerParams, change: Callable[[Obj], None]
) -> None:
    """Apply `change` to one container of the workload's pod template and write it back
    (a rolling update follows, as after `kubectl edit`)."""
    workload = _get(cluster, p.kind, namespace, p.workload)
    containers = workload["spec"]["template"]["spec"]["containers"]
    chosen = next((c for c in containers if p.container in (None, c["name"])), None)
    if chosen is None:
        raise FaultError(f"{p.kind} {p.workload} has no container {p.container}")
    change(chosen)
    if p.recreate and p.kind == "Deployment":
        workload["spec"]["strategy"] = {"type": "Recreate"}
    cluster.api.update(Target.of(p.kind, namespace, p.workload), workload)


class LimitParams(ContainerParams):
    limit: str


def _set_limit(resource: str) -> Callable[[SimCluster, str, LimitParams], None]:
    def inject(cluster: SimCluster, namespace: str, p: LimitParams) -> None:
        def change(container: Obj) -> None:
            resources = container.setdefault("resources", {})
            resources.setdefault("limits", {})[resource] = p.limit
            # A request above the limit is invalid; whoever lowered the limit lowered it too.
            if resource in (resources.get("requests") or {}):
                resources["requests"][resource] = p.limit

        edit_container(cluster, namespace, p, change)

    return inject


PRIMITIVES.register(
    "memory_limit",
    LimitParams,
    "Memory limit below the service's working set: OOMKilled (exit 137) at start, CrashLoopBackOff",
)(_set_limit("memory"))
PRIMITIVES.register(
    "cpu_limit",
    LimitParams,
    "CPU limit below what the service needs: CFS throttling, every request slower",
)(_set_limit("cpu"))


class EnvParams(ContainerParams):
    name: str
    value: str


@PRIMITIVES.register(
    "set_env",
    EnvParams,
    "An environment value the program cannot parse: new pods crash on start (with several "
    "replicas, a stuck rollout while the old pods still serve)",
)
def _set_env(cluster: SimCluster, namespace: str, p: EnvParams) -> None:
    def change(container: Obj) -> None:
        env = container.setdefault("env", [])
        for item in env:
            if item["name"] == p.name:
                item.pop("valueFrom", None)
                item["value"] = p.value
                return
        env.append({"name": p.name, "value": p.value})

    edit_container(cluster, namespace, p, change)


class ConfigMapParams(Params):
    configmap: str
    key: str
    find: str
    replace: str
    restart: list[str] = Field(default_factory=list)  # restarted to pick the change up
    # rollout: `kubectl rollout restart` (old pods serve until new ones are ready);
    # delete: the pods deleted so they come back with the new file (an outage if it is bad).
    restart_by: Literal["rollout", "delete"] = "rollout"


@PRIMITIVES.register(
    "configmap_value",
    ConfigMapParams,
    "A ConfigMap entry edited by hand (a typo, a wrong type), then the workloads restarted: "
    "they crash on start reading it",
)
def _configmap_value(cluster: SimCluster, namespace: str, p: ConfigMapParams) -> None:
    configmap = _get(cluster, "ConfigMap", namespace, p.configmap)
    text = (configmap.get("data") or {}).get(p.key)
    if text is None or p.find not in text:
        raise FaultError(f"ConfigMap {p.configmap} key {p.key} does not contain {p.find!r}")
    configmap["data"][p.key] = text.replace(p.find, p.replace, 1)
    cluster.api.update(Target.of("ConfigMap", namespace, p.configmap), configmap)
    if p.restart_by == "delete":
        delete_pods(cluster, namespace, p.restart)
        return
    for deployment in p.restart:
        rollout_restart(cluster, namespace, deployment)


class ProbeParams(ContainerParams):
    probe: Literal["readiness", "liveness"]
    spec: dict[str, Any]


@PRIMITIVES.register(
    "set_probe",
    ProbeParams,
    "A probe that does not fit the service: readiness on the wrong port (Running but never "
    "Ready, no endpoints) or liveness too eager for a slow starter (killed before it serves)",
)
def _set_probe(cluster: SimCluster, namespace: str, p: ProbeParams) -> None:
    def change(container: Obj) -> None:
        container[f"{p.probe}Probe"] = dict(p.spec)

    edit_container(cluster, namespace, p, change)


class ConnectionLimitParams(Params):
    configmap: str  # the ConfigMap holding mongod.conf
    limit: int
    database: str  # the mongod deployment, restarted to load the setting
    key: str = "mongod.conf"


@PRIMITIVES.register(
    "db_connection_limit",
    ConnectionLimitParams,
    "mongod capped at maxIncomingConnections: once the clients' pools add up past it (say "
    "after a scale-up), the newest clients are refused and their requests fail",
)
def _db_connection_limit(cluster: SimCluster, namespace: str, p: ConnectionLimitParams) -> None:
    configmap = _get(cluster, "ConfigMap", namespace, p.configmap)
    try:
        conf = yaml.safe_load((configmap.get("data") or {}).get(p.key) or "") or {}
    except yaml.YAMLError as exc:
        raise FaultError(f"ConfigMap {p.configmap} key {p.key} is not YAML: {exc}") from exc
    conf.setdefault("net", {})["maxIncomingConnections"] = p.limit
    configmap.setdefault("data", {})[p.key] = yaml.safe_dump(conf, sort_keys=False)
    cluster.api.update(Target.of("ConfigMap", namespace, p.configmap), configmap)
    delete_pods(cluster, namespace, [p.database])
