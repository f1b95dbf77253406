"""kube-state-metrics' Deployment series: the replicas asked for and those available, so
that a deployment short of ready pods (crash loops, failed probes, a stuck rollout, evicted
pods stuck Pending) shows as kube-prometheus's KubeDeploymentReplicasMismatch does."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

from sim.clock import parse_time
from sim.telemetry.history import Container, containers

if TYPE_CHECKING:
    from sim.telemetry.metrics import MetricStore, Series


def deployment_of(c: Container) -> str | None:
    """The Deployment a pod belongs to, from its ReplicaSet owner (`<deployment>-<hash>`)."""
    for ref in c.pod["metadata"].get("ownerReferences") or []:
        if ref.get("kind") == "ReplicaSet":
            return str(ref["name"]).rsplit("-", 1)[0]
    return None


def _spec(created: datetime, replicas: int, t: datetime) -> float | None:
    return float(replicas) if t >= created else None


def _available(created: datetime, pods: list[list[Container]], t: datetime) -> float | None:
    if t < created:
        return None
    return float(sum(1 for group in pods if all(c.ready(t) for c in group)))


def deployment_series(store: MetricStore, name: str) -> Iterator[Series]:
    from sim.telemetry.metrics import Series

    pods: dict[tuple[str, str], dict[str, list[Container]]] = {}
    for c in containers(store.world):
        owner = deployment_of(c)
        if owner is not None:
            key = (c.pod["metadata"]["namespace"], owner)
            pods.setdefault(key, {}).setdefault(c.pod_run.uid, []).append(c)
    for d in store.world.store.kind_iter("Deployment"):
        namespace, deployment = d["metadata"]["namespace"], d["metadata"]["name"]
        created = parse_time(d["metadata"]["creationTimestamp"])
        labels = {"namespace": namespace, "deployment": deployment}
        if name == "kube_deployment_spec_replicas":
            sample = partial(_spec, created, int(d["spec"].get("replicas", 1)))
        else:
            groups = list(pods.get((namespace, deployment), {}).values())
            sample = partial(_available, created, groups)
        yield Series(name, labels, sample)
