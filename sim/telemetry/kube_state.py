"""kube-state-metrics' pod and container series (restarts, readiness, waiting and
terminated reasons, limits, pod phase), sampled from the kubelets' history."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

from sim.clock import parse_time
from sim.telemetry.history import Container, containers
from sim.world.scheduling import parse_cpu, parse_memory

if TYPE_CHECKING:
    pass
from sim.telemetry.metrics import PHASES, WAITING, MetricStore, Series, _alive, family


def _ksm(c: Container) -> dict[str, str]:
    labels = c.labels()
    return {k: labels[k] for k in ("namespace", "pod", "container")}


@family(
    "kube_pod_container_status_restarts_total",
    "counter",
    "The number of container restarts per container.",
)
def _restarts(store: MetricStore) -> Iterator[Series]:
    def sample(c: Container, t: datetime) -> float | None:
        return _alive(c, t, float(c.restarts(t)))

    for c in containers(store.world):
        yield Series("kube_pod_container_status_restarts_total", _ksm(c), partial(sample, c))


@family(
    "kube_pod_container_status_ready",
    "gauge",
    "Describes whether the containers readiness check succeeded.",
)
def _ready(store: MetricStore) -> Iterator[Series]:
    def sample(c: Container, t: datetime) -> float | None:
        return _alive(c, t, float(c.ready(t)))

    for c in containers(store.world):
        yield Series("kube_pod_container_status_ready", _ksm(c), partial(sample, c))


@family(
    "kube_pod_container_status_waiting_reason",
    "gauge",
    "Describes the reason the container is currently in waiting state.",
)
def _waiting(store: MetricStore) -> Iterator[Series]:
    def sample(c: Container, reason: str, t: datetime) -> float | None:
        return _alive(c, t, float(c.waiting_reason(t) == reason))

    for c in containers(store.world):
        for reason in WAITING:
            yield Series(
                "kube_pod_container_status_waiting_reason",
                {**_ksm(c), "reason": reason},
                partial(sample, c, reason),
            )


@family(
    "kube_pod_container_status_last_terminated_reason",
    "gauge",
    "Describes the last reason the container was in terminated state.",
)
def _terminated(store: MetricStore) -> Iterator[Series]:
    def sample(c: Container, reason: str, t: datetime) -> float | None:
        last = c.last_terminated(t) if c.alive(t) else None
        return None if last is None else float((last.fate.reason or "Error") == reason)

    for c in containers(store.world):
        for reason in ("Error", "OOMKilled", "Completed", "StartError"):
            yield Series(
                "kube_pod_container_status_last_terminated_reason",
                {**_ksm(c), "reason": reason},
                partial(sample, c, reason),
            )


@family(
    "kube_pod_container_resource_limits",
    "gauge",
    "The number of requested limit resource by a container.",
)
def _limits(store: MetricStore) -> Iterator[Series]:
    for c in containers(store.world):
        limits = (c.spec.get("resources") or {}).get("limits") or {}
        for resource, unit, value in (
            ("cpu", "core", parse_cpu(limits.get("cpu")) / 1000),
            ("memory", "byte", parse_memory(limits.get("memory"))),
        ):
            if value:
                yield Series(
                    "kube_pod_container_resource_limits",
                    {**_ksm(c), "resource": resource, "unit": unit},
                    partial(_alive, c, value=float(value)),
                )


def _pod_phase(group: list[Container], t: datetime) -> str:
    if group[0].evicted(t):
        return "Failed"
    policy = group[0].pod["spec"].get("restartPolicy", "Always")
    if not any(c.run.attempts and c.run.attempts[0].started <= t for c in group):
        return "Pending"
    ended = [c.last_terminated(t) for c in group]
    if policy != "Always" and all(
        a is not None and c.attempt(t) is None for a, c in zip(ended, group, strict=True)
    ):
        return (
            "Succeeded" if all(a is not None and a.fate.exit_code == 0 for a in ended) else "Failed"
        )
    return "Running"


@family("kube_pod_status_phase", "gauge", "The pods current phase.")
def _phase(store: MetricStore) -> Iterator[Series]:
    def sample(group: list[Container], phase: str, t: datetime) -> float | None:
        return _alive(group[0], t, float(_pod_phase(group, t) == phase))

    pods: dict[str, list[Container]] = {}
    for c in containers(store.world):
        pods.setdefault(c.pod_run.uid, []).append(c)
    for group in pods.values():
        labels = _ksm(group[0])
        labels.pop("container")
        for phase in PHASES:
            yield Series(
                "kube_pod_status_phase", {**labels, "phase": phase}, partial(sample, group, phase)
            )
    # Pods no kubelet has admitted (unschedulable) are Pending since their creation.
    for pod in store.world.store.kind_iter("Pod"):
        if pod["metadata"]["uid"] in pods or pod["spec"].get("nodeName"):
            continue
        created = parse_time(pod["metadata"]["creationTimestamp"])
        labels = {"namespace": pod["metadata"]["namespace"], "pod": pod["metadata"]["name"]}
        for phase in PHASES:
            yield Series(
                "kube_pod_status_phase",
                {**labels, "phase": phase},
                partial(_since, created, float(phase == "Pending")),
            )


def _since(created: datetime, value: float, t: datetime) -> float | None:
    return value if t >= created else None
