"""Reading the world back as the API serves it: container logs (the log subresource) and the
resource metrics kubectl top shows (metrics.k8s.io)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sim.kube import errors
from sim.kube.resources import resource_for_kind
from sim.world import pasts
from sim.world.lifecycle import Attempt
from sim.world.scheduling import parse_cpu
from sim.world.software.base import Program, RunContext

if TYPE_CHECKING:
    from sim.world.runtime import World

Obj = dict[str, Any]
PODS = resource_for_kind("Pod")
NODES = resource_for_kind("Node")
SYSTEM_USAGE = (180, 1400)  # millicores and MiB a node spends on kubelet, containerd, ...


def attempt_log(
    world: World, pod: Obj, container: Obj, attempt: Attempt
) -> list[tuple[datetime, str]]:
    """Every line a container instance has written up to now, in order."""
    start = attempt.started
    end = attempt.ended if attempt.ended and attempt.ended < world.now else world.now
    lines = [
        (start + timedelta(seconds=line.offset), line.text) for line in attempt.fate.startup
    ] + list(attempt.lines)
    program = world.catalog.program_for(container)
    if program is not None:
        ctx = RunContext(world, pod, container, end, attempt, attempt.restart)
        key = (pod["metadata"]["uid"], container["name"], attempt.restart)
        lines += program.runtime_log(ctx, start, end, world.observations.get(key, []))
    if attempt.ended is not None:
        lines += [
            (attempt.ended + timedelta(seconds=line.offset), line.text)
            for line in attempt.fate.final
        ]
    lines.sort(key=lambda item: item[0])
    return [(t, text) for t, text in lines if t <= world.now]


def _pick_container(pod: Obj, container: str | None) -> Obj:
    spec, name = pod["spec"], pod["metadata"]["name"]
    containers = spec.get("containers") or []
    inits = spec.get("initContainers") or []
    if container is None:
        if len(containers) != 1:
            extra = (
                f" or one of the init containers: [{' '.join(c['name'] for c in inits)}]"
                if inits
                else ""
            )
            raise errors.bad_request(
                f"a container name must be specified for pod {name}, choose one of: "
                f"[{' '.join(c['name'] for c in containers)}]{extra}"
            )
        return dict(containers[0])
    for candidate in containers + inits:
        if candidate["name"] == container:
            return dict(candidate)
    raise errors.bad_request(f"container {container} is not valid for pod {name}")


def logs(
    world: World,
    namespace: str,
    pod_name: str,
    container: str | None,
    *,
    previous: bool,
    tail_lines: int | None,
    since_seconds: int | None,
    timestamps: bool,
) -> str:
    """The text the log subresource returns, with the API server's errors. Eval's tasks of
    a scenario read the same logs of the same state: copies of one snapshot share them."""
    shared = pasts.unchanged(world, "logs")
    key = (namespace, pod_name, container, previous, tail_lines, since_seconds, timestamps)
    if shared is not None and key in shared:
        kept: str = shared[key]
        return kept
    pod = world.store.peek(PODS, namespace, pod_name)
    if pod is None:
        raise errors.not_found(PODS, pod_name)
    spec = _pick_container(pod, container)
    name = spec["name"]
    run = world.kubelet.container_run(pod, name)
    if run is None or not run.attempts:
        reason = run.blocked.reason if run is not None and run.blocked else "ContainerCreating"
        if reason in ("ErrImagePull", "ImagePullBackOff"):
            reason = "trying and failing to pull image"
        raise errors.bad_request(
            f'container "{name}" in pod "{pod_name}" is waiting to start: {reason}'
        )
    if previous and len(run.attempts) < 2:
        raise errors.bad_request(
            f'previous terminated container "{name}" in pod "{pod_name}" not found'
        )
    lines = attempt_log(world, pod, spec, run.attempts[-2 if previous else -1])
    if since_seconds is not None:
        cutoff = world.now - timedelta(seconds=since_seconds)
        lines = [line for line in lines if line[0] >= cutoff]
    if tail_lines is not None and tail_lines >= 0:
        lines = lines[-tail_lines:] if tail_lines else []
    out = []
    for t, text in lines:
        stamp = t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "000Z " if timestamps else ""
        out.append(stamp + text + "\n")
    answer = "".join(out)
    if shared is not None:
        shared[key] = answer
    return answer


def _usage(world: World, program: Program, ctx: RunContext) -> tuple[int, int]:
    idle, memory = program.usage(ctx, world.observation(ctx))
    cpu = idle + world.load(ctx.pod, ctx.container["name"], ctx.at)
    limit = parse_cpu(((ctx.container.get("resources") or {}).get("limits") or {}).get("cpu"))
    if limit:
        cpu = min(cpu, limit)  # the CFS quota caps what it can use
    # A few percent of steady jitter per 30 s window, as metrics-server shows.
    window = int(world.now.timestamp() // 30)
    jitter = (
        world.stable_hash(ctx.pod["metadata"]["uid"], ctx.container["name"], window) % 21 - 10
    ) / 100
    return max(1, math.ceil(cpu * (1 + jitter))), max(1, math.ceil(memory * (1 + jitter / 2)))


def _stamp(world: World) -> str:
    return world.now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def pod_metrics(world: World, namespace: str | None) -> list[Obj]:
    """PodMetrics items: one per pod with a running container."""
    items = []
    for pod in world.store.iter(PODS, namespace):
        containers = []
        for program, ctx in world.running(pod, world.now):
            cpu, memory = _usage(world, program, ctx)
            containers.append(
                {
                    "name": ctx.container["name"],
                    "usage": {"cpu": f"{cpu * 1_000_000}n", "memory": f"{memory * 1024}Ki"},
                }
            )
        if containers:
            meta = pod["metadata"]
            items.append(
                {
                    "metadata": {
                        "name": meta["name"],
                        "namespace": meta["namespace"],
                        "creationTimestamp": _stamp(world),
                        "labels": meta.get("labels") or {},
                    },
                    "timestamp": _stamp(world),
                    "window": "30s",
                    "containers": containers,
                }
            )
    return items


def node_metrics(world: World) -> list[Obj]:
    """NodeMetrics items: each node's pods plus what the node itself runs."""
    items = []
    for node in world.store.iter(NODES):
        name = node["metadata"]["name"]
        cpu, memory = SYSTEM_USAGE
        for pod in world.store.iter(PODS):
            if pod["spec"].get("nodeName") == name:
                for program, ctx in world.running(pod, world.now):
                    used = _usage(world, program, ctx)
                    cpu, memory = cpu + used[0], memory + used[1]
        items.append(
            {
                "metadata": {
                    "name": name,
                    "creationTimestamp": _stamp(world),
                    "labels": node["metadata"].get("labels") or {},
                },
                "timestamp": _stamp(world),
                "window": "20.05s",
                "usage": {"cpu": f"{cpu * 1_000_000}n", "memory": f"{memory * 1024}Ki"},
            }
        )
    return items
