"""Mitigation checks: AIOpsLab's pod sweeps, reproduced with their quirks, and our checks that
a fault's cause is really gone (the dependency answers again, the right binary runs, ...)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sim.kube.errors import ApiError
from sim.kube.targets import Target
from sim.registry import Params, Registry

if TYPE_CHECKING:
    from sim.cluster import SimCluster

Obj = dict[str, Any]


@dataclass(frozen=True)
class CheckResult:
    name: str
    passed: bool
    detail: str


CHECKS: Registry[CheckResult] = Registry("check")


def run_check(
    cluster: SimCluster, namespace: str, name: str, params: dict[str, Any]
) -> CheckResult:
    """Run a check; an object it reads that is missing fails it with the API's own words."""
    try:
        return CHECKS.run(cluster, namespace, name, params)
    except ApiError as exc:
        return CheckResult(name, False, str(exc))


def workload_pods(cluster: SimCluster, namespace: str, workload: str) -> list[Obj]:
    """The pods of a workload, by the `<workload>-` prefix its controller names them with."""
    return [
        pod
        for pod in cluster.world.store.kind_iter("Pod", namespace)
        if pod["metadata"]["name"].startswith(workload + "-")
    ]


# -- AIOpsLab's sweeps ----------------------------------------------------------------------


def sweep(pods: list[Obj], variant: str) -> CheckResult:
    """AIOpsLab's pod sweep. `guarded` skips pods without container statuses (Pending);
    `unguarded` crashes on them in AIOpsLab, which we score as a failure; `wrong_bin` only
    fails waiting containers for CrashLoopBackOff, Error, ImagePullBackOff or ErrImagePull."""
    for pod in pods:
        name = pod["metadata"]["name"]
        statuses = (pod.get("status") or {}).get("containerStatuses")
        if not statuses:
            if variant == "guarded":
                continue
            return CheckResult(
                f"sweep:{variant}",
                False,
                f"pod {name} has no container statuses (AIOpsLab's evaluation raises on it)",
            )
        for status in statuses:
            state = status.get("state") or {}
            waiting, terminated = state.get("waiting"), state.get("terminated")
            if waiting is not None:
                reason = waiting.get("reason")
                if variant == "wrong_bin":
                    if reason in ("CrashLoopBackOff", "Error", "ImagePullBackOff", "ErrImagePull"):
                        return CheckResult(
                            f"sweep:{variant}", False, f"pod {name}: container waiting ({reason})"
                        )
                    continue
                if reason == "CrashLoopBackOff":
                    return CheckResult(
                        f"sweep:{variant}", False, f"pod {name}: container in CrashLoopBackOff"
                    )
            elif terminated is not None and terminated.get("reason") != "Completed":
                return CheckResult(
                    f"sweep:{variant}",
                    False,
                    f"pod {name}: container terminated ({terminated.get('reason')})",
                )
            if not status.get("ready"):
                return CheckResult(
                    f"sweep:{variant}",
                    False,
                    f"pod {name}: container {status.get('name')} not ready",
                )
    return CheckResult(f"sweep:{variant}", True, f"{len(pods)} pods checked")


def wait_for_ready(
    cluster: SimCluster, namespace: str, max_wait: float = 60.0, step: float = 5.0
) -> CheckResult:
    """AIOpsLab's wait_for_ready: within 60 s, every pod Succeeded or all containers ready.

    The emulated clock is moved on `step` seconds at a time instead of sleeping.
    """
    waited = 0.0
    while True:
        pods = cluster.api.list(Target.of("Pod", namespace))
        ok = bool(pods) and all(
            (p.get("status") or {}).get("phase") == "Succeeded"
            or (
                (p.get("status") or {}).get("containerStatuses")
                and all(s.get("ready") for s in p["status"]["containerStatuses"])
            )
            for p in pods
        )
        if ok:
            return CheckResult("wait_for_ready", True, f"all pods ready after {waited:.0f}s")
        if waited >= max_wait:
            return CheckResult("wait_for_ready", False, f"pods not ready after {max_wait:.0f}s")
        cluster.advance(step)
        waited += step


# -- family checks (AIOpsLab's extra conditions) --------------------------------------------


class TargetPortParams(Params):
    service: str
    port: int = 9090


@CHECKS.register("service_target_port", TargetPortParams)
def _target_port(cluster: SimCluster, namespace: str, p: TargetPortParams) -> CheckResult:
    service = cluster.api.get(Target.of("Service", namespace, p.service))
    ports = service["spec"].get("ports") or []
    target = ports[0].get("targetPort") if ports else None
    # AIOpsLab compares with an exact match: the string "9090" or a named port fails.
    ok = isinstance(target, int) and not isinstance(target, bool) and target == p.port
    return CheckResult(
        "service_target_port", ok, f"{p.service} ports[0].targetPort is {json.dumps(target)}"
    )


class ReplicasParams(Params):
    deployment: str
    replicas: int = 1
    available: int = 1


@CHECKS.register("deployment_replicas", ReplicasParams)
def _replicas(cluster: SimCluster, namespace: str, p: ReplicasParams) -> CheckResult:
    deployment = cluster.api.get(Target.of("Deployment", namespace, p.deployment))
    replicas = deployment["spec"].get("replicas")
    available = (deployment.get("status") or {}).get("availableReplicas", 0)
    ok = replicas == p.replicas and available == p.available
    return CheckResult(
        "deployment_replicas", ok, f"{p.deployment}: replicas {replicas}, available {available}"
    )


class PodNameParams(Params):
    contains: str


@CHECKS.register("pod_name_contains", PodNameParams)
def _pod_name(cluster: SimCluster, namespace: str, p: PodNameParams) -> CheckResult:
    names = [pod["metadata"]["name"] for pod in cluster.api.list(Target.of("Pod", namespace))]
    ok = any(p.contains in name for name in names)
    return CheckResult(
        "pod_name_contains", ok, f"a pod named *{p.contains}* {'exists' if ok else 'is missing'}"
    )


class CommandParams(Params):
    deployment: str
    contains: str


@CHECKS.register("command_contains", CommandParams)
def _command(cluster: SimCluster, namespace: str, p: CommandParams) -> CheckResult:
    deployment = cluster.api.get(Target.of("Deployment", namespace, p.deployment))
    containers = deployment["spec"]["template"]["spec"]["containers"]
    ok = all(p.contains in (c.get("command") or []) for c in containers)
    return CheckResult(
        "command_contains", ok, f"{p.deployment} commands: {[c.get('command') for c in containers]}"
    )


# -- verification: is the cause gone? -------------------------------------------------------


class NoParams(Params):
    pass


@CHECKS.register("all_pods_healthy", NoParams)
def _all_pods_healthy(cluster: SimCluster, namespace: str, p: NoParams) -> CheckResult:
    """Stricter than any AIOpsLab sweep: Pending pods count as unhealthy."""
    pods = cluster.api.list(Target.of("Pod", namespace))
    for pod in pods:
        status = pod.get("status") or {}
        if status.get("phase") == "Succeeded":
            continue
        statuses = status.get("containerStatuses") or []
        if (
            status.get("phase") != "Running"
            or not statuses
            or not all(s.get("ready") for s in statuses)
        ):
            return CheckResult(
                "all_pods_healthy",
                False,
                f"pod {pod['metadata']['name']} is {status.get('phase')} and not ready",
            )
    return CheckResult("all_pods_healthy", True, f"{len(pods)} pods running and ready")


class ConnectParams(Params):
    source: str  # a workload whose pod makes the call
    address: str  # host:port
    user: str | None = None
    password: str | None = None
    database: str | None = None
    protocol: str = "tcp"  # tcp | mongo


@CHECKS.register("dependency_ok", ConnectParams)
def _dependency_ok(cluster: SimCluster, namespace: str, p: ConnectParams) -> CheckResult:
    """Connect from a pod of `source` to `address` as its software would."""
    from sim.world.software.base import RunContext, split_address
    from sim.world.software.mongoclient import mongo_connect

    world = cluster.world
    with cluster.api.lock:
        world.sync()
        pods = [
            pod
            for pod in workload_pods(cluster, namespace, p.source)
            if (pod.get("status") or {}).get("podIP")
        ]
        if not pods:
            return CheckResult("dependency_ok", False, f"no running pod of {p.source}")
        pod = pods[0]
        ctx = RunContext(world, pod, pod["spec"]["containers"][0], world.now)
        if p.protocol == "mongo":
            session = mongo_connect(ctx, p.address, user=p.user, password=p.password, record=False)
            ok = session.outcome == "ok" and (p.database is None or session.can_read(p.database))
            detail = (
                session.outcome
                if session.outcome != "ok" or ok
                else f"not authorized on {p.database}"
            )
        else:
            conn = ctx.connect(*split_address(p.address, 80))
            ok, detail = conn.ok, conn.error or "connected"
    return CheckResult("dependency_ok", ok, f"{p.source} -> {p.address}: {detail}")


class FlagParams(Params):
    flag: str
    variant: str = "off"
    configmap: str = "flagd-config"
    key: str = "demo.flagd.json"


@CHECKS.register("feature_flag", FlagParams)
def _feature_flag(cluster: SimCluster, namespace: str, p: FlagParams) -> CheckResult:
    try:
        configmap = cluster.api.get(Target.of("ConfigMap", namespace, p.configmap))
        flag = json.loads(configmap["data"][p.key])["flags"][p.flag]
    except (ApiError, KeyError, ValueError):
        return CheckResult("feature_flag", False, f"flag {p.flag} not readable")
    ok = flag.get("defaultVariant") == p.variant
    return CheckResult(
        "feature_flag", ok, f"{p.flag} defaultVariant is {flag.get('defaultVariant')!r}"
    )


class ServesParams(Params):
    deployment: str
    port: int


@CHECKS.register("serves_port", ServesParams)
def _serves(cluster: SimCluster, namespace: str, p: ServesParams) -> CheckResult:
    """A pod of the deployment accepts connections on the port (the right binary runs)."""
    world = cluster.world
    with cluster.api.lock:
        world.sync()
        for pod in world.store.kind_iter("Pod", namespace):
            if pod["metadata"]["name"].startswith(
                p.deployment + "-"
            ) and p.port in world.serving_ports(pod, world.now):
                return CheckResult(
                    "serves_port", True, f"{pod['metadata']['name']} serves :{p.port}"
                )
    return CheckResult("serves_port", False, f"no pod of {p.deployment} serves :{p.port}")


# The checks for everyday faults register themselves on import.
from sim import health_checks  # noqa: E402, F401
