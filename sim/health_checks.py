"""Checks that an everyday fault is really gone: the app's requests succeed fast again (from
the same traffic model its metrics and traces come from), the rollout finished, the
resource was given back, the node is no longer under pressure."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal

from sim.checks import CHECKS, CheckResult, workload_pods
from sim.kube.errors import ApiError
from sim.kube.targets import Target
from sim.registry import Params
from sim.world.certificates import validity_problem
from sim.world.scheduling import parse_cpu, parse_memory

if TYPE_CHECKING:
    from sim.cluster import SimCluster

Obj = dict[str, Any]


class RequestsParams(Params):
    max_latency_ms: float = 500.0


@CHECKS.register("requests_ok", RequestsParams)
def _requests_ok(cluster: SimCluster, namespace: str, p: RequestsParams) -> CheckResult:
    """Every operation that receives traffic now answers without error, under the bound."""
    with cluster.api.lock:
        cluster.world.sync()
        traffic = cluster.metrics.traffic
        snap = traffic.snapshot(namespace, cluster.world.now)
    for service in traffic.entries.get(namespace, {}):
        if not snap.receivers(service):
            return CheckResult("requests_ok", False, f"entry service {service} has no ready pod")
    for (index, op), outcomes in sorted(snap.results.items()):
        if snap.rates.get((index, op), 0.0) <= 0:
            continue
        pod = snap.instances[index].pod["metadata"]["name"]
        for share, result in outcomes:
            if result.kind != "ok":
                return CheckResult(
                    "requests_ok",
                    False,
                    f"{pod} {op}: {share:.0%} {result.kind} ({result.code or 'error'})",
                )
            if result.latency_ms > p.max_latency_ms:
                return CheckResult(
                    "requests_ok", False, f"{pod} {op}: {result.latency_ms:.0f} ms on average"
                )
    return CheckResult("requests_ok", True, f"{len(snap.results)} operations answer in time")


class RolloutParams(Params):
    deployment: str


@CHECKS.register("rollout_complete", RolloutParams)
def _rollout_complete(cluster: SimCluster, namespace: str, p: RolloutParams) -> CheckResult:
    """As `kubectl rollout status`: every replica updated, ready and available."""
    d = cluster.api.get(Target.of("Deployment", namespace, p.deployment))
    want = int(d["spec"].get("replicas", 1))
    status = d.get("status") or {}
    counts = [status.get(k, 0) for k in ("updatedReplicas", "readyReplicas", "availableReplicas")]
    ok = all(c == want for c in counts) and status.get("replicas", 0) == want
    return CheckResult(
        "rollout_complete",
        ok,
        f"{p.deployment}: {want} wanted, updated/ready/available {counts}, "
        f"{status.get('replicas', 0)} in all",
    )


class LimitParams(Params):
    deployment: str
    resource: Literal["cpu", "memory"]
    at_least: str
    container: str | None = None


@CHECKS.register("limit_at_least", LimitParams)
def _limit_at_least(cluster: SimCluster, namespace: str, p: LimitParams) -> CheckResult:
    """The container's limit is back to a value the service fits in (or removed)."""
    d = cluster.api.get(Target.of("Deployment", namespace, p.deployment))
    parse = parse_cpu if p.resource == "cpu" else parse_memory
    for c in d["spec"]["template"]["spec"]["containers"]:
        if p.container not in (None, c["name"]):
            continue
        limit = ((c.get("resources") or {}).get("limits") or {}).get(p.resource)
        if limit is not None and parse(limit) < parse(p.at_least):
            return CheckResult(
                "limit_at_least", False, f"{c['name']}: {p.resource} limit {limit} < {p.at_least}"
            )
    return CheckResult("limit_at_least", True, f"{p.deployment}: {p.resource} limit fits")


class AbsentParams(Params):
    kind: str
    name: str
    namespace: str | None = None  # default: the app's


@CHECKS.register("object_absent", AbsentParams)
def _object_absent(cluster: SimCluster, namespace: str, p: AbsentParams) -> CheckResult:
    """The object (a chaos experiment, a hog) is gone, or scaled to nothing."""
    try:
        obj = cluster.api.get(Target.of(p.kind, p.namespace or namespace, p.name))
    except ApiError:
        return CheckResult("object_absent", True, f"{p.kind} {p.name} is gone")
    replicas = (obj.get("spec") or {}).get("replicas")
    if p.kind == "Deployment" and replicas == 0:
        return CheckResult("object_absent", True, f"{p.kind} {p.name} scaled to 0")
    return CheckResult("object_absent", False, f"{p.kind} {p.name} still exists")


class NodeParams(Params):
    near: str  # a workload of the app; its node is checked


@CHECKS.register("node_unpressured", NodeParams)
def _node_unpressured(cluster: SimCluster, namespace: str, p: NodeParams) -> CheckResult:
    """The app's node reports no memory pressure and has CPU to spare."""
    world = cluster.world
    with cluster.api.lock:
        world.sync()
        pods = [
            pod for pod in workload_pods(cluster, namespace, p.near) if pod["spec"].get("nodeName")
        ]
        if not pods:
            return CheckResult("node_unpressured", False, f"no scheduled pod of {p.near}")
        node_name = pods[0]["spec"]["nodeName"]
        node = cluster.api.get(Target.of("Node", None, node_name))
        pressured = [
            c["type"]
            for c in node["status"].get("conditions") or []
            if c["type"].endswith("Pressure") and c["status"] == "True"
        ]
        wanted = sum(
            program.usage(ctx, world.observation(ctx))[0]
            for pod in world.store.kind_iter("Pod")
            if pod["spec"].get("nodeName") == node_name
            for program, ctx in world.running(pod, world.now)
        )
    capacity = parse_cpu(node["status"]["capacity"]["cpu"])
    if pressured:
        return CheckResult("node_unpressured", False, f"{node_name}: {', '.join(pressured)}")
    if wanted > 0.85 * capacity:
        return CheckResult(
            "node_unpressured", False, f"{node_name}: {wanted}m of {capacity}m CPU wanted"
        )
    return CheckResult("node_unpressured", True, f"{node_name}: no pressure")


class ClaimParams(Params):
    claim: str


@CHECKS.register("claim_bound", ClaimParams)
def _claim_bound(cluster: SimCluster, namespace: str, p: ClaimParams) -> CheckResult:
    pvc = cluster.api.get(Target.of("PersistentVolumeClaim", namespace, p.claim))
    phase = (pvc.get("status") or {}).get("phase")
    return CheckResult("claim_bound", phase == "Bound", f"claim {p.claim} is {phase}")


class CertificateParams(Params):
    secret: str
    min_valid_days: float = 7.0


@CHECKS.register("certificate_valid", CertificateParams)
def _certificate_valid(cluster: SimCluster, namespace: str, p: CertificateParams) -> CheckResult:
    """The Secret's certificate is valid now and for `min_valid_days` more."""
    try:
        secret = cluster.api.get(Target.of("Secret", namespace, p.secret))
        pem = base64.b64decode((secret.get("data") or {}).get("tls.crt", "")).decode()
    except (ApiError, ValueError):
        return CheckResult("certificate_valid", False, f"no readable tls.crt in {p.secret}")
    later = cluster.world.now + timedelta(days=p.min_valid_days)
    problem = validity_problem(pem, cluster.world.now) or validity_problem(pem, later)
    detail = problem or f"{p.secret}: valid for {p.min_valid_days:g} more days"
    return CheckResult("certificate_valid", problem is None, detail)
