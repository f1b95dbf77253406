"""The cluster's past as telemetry needs it: every container that ran (deleted pods
included), what state it was in at any moment, and what its program observed then."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sim.world.lifecycle import Attempt, ContainerRun
from sim.world.software.base import Observation, Program, RunContext

if TYPE_CHECKING:
    from sim.world.pods import PodRun
    from sim.world.runtime import World

Obj = dict[str, Any]
SCRAPE_SECONDS = 15
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def scrape_times(start: datetime, end: datetime) -> list[datetime]:
    """Scrape timestamps (every 15 s, aligned to the epoch) in (start, end]."""
    first = int((start - EPOCH).total_seconds()) // SCRAPE_SECONDS + 1
    last = int((end - EPOCH).total_seconds()) // SCRAPE_SECONDS
    return [EPOCH + timedelta(seconds=i * SCRAPE_SECONDS) for i in range(first, last + 1)]


@dataclass(frozen=True)
class Container:
    """One container of one pod, over the pod's whole life."""

    world: World
    pod_run: PodRun
    run: ContainerRun
    spec: Obj

    @property
    def pod(self) -> Obj:
        return self.pod_run.pod

    @property
    def key(self) -> str:
        return f"{self.pod_run.uid}/{self.run.name}"

    def labels(self) -> dict[str, str]:
        meta = self.pod["metadata"]
        return {
            "namespace": meta["namespace"],
            "pod": meta["name"],
            "container": self.run.name,
            "node": self.pod_run.node,
            "image": self.spec.get("image", ""),
        }

    def alive(self, t: datetime) -> bool:
        """Whether the pod existed at `t` (created, not yet deleted)."""
        return self.pod_run.started <= t and (
            self.pod_run.deleted is None or t < self.pod_run.deleted
        )

    def attempt(self, t: datetime) -> Attempt | None:
        """The attempt running at `t`, if any."""
        if not self.alive(t):
            return None
        for attempt in reversed(self.run.attempts):
            if attempt.started <= t:
                return attempt if attempt.running_at(t) else None
        return None

    def evicted(self, t: datetime) -> bool:
        return self.pod_run.evicted is not None and self.pod_run.evicted[0] <= t

    def restarts(self, t: datetime) -> int:
        return max(sum(1 for a in self.run.attempts if a.started <= t) - 1, 0)

    def last_terminated(self, t: datetime) -> Attempt | None:
        ended = [a for a in self.run.attempts if a.ended is not None and a.ended <= t]
        return ended[-1] if ended else None

    def ready(self, t: datetime) -> bool:
        attempt = self.attempt(t)
        return (
            attempt is not None
            and attempt.ready_at is not None
            and attempt.ready_at <= t
            and self.run.probe_ready_at(t)
        )

    def waiting_reason(self, t: datetime) -> str | None:
        """Why the container is not running at `t` (None when it runs, the pod is gone, or
        the pod was evicted: then it is terminated for good)."""
        if not self.alive(t) or self.attempt(t) is not None or self.evicted(t):
            return None
        if (
            self.run.blocked is not None
            and self.run.blocked_since is not None
            and self.run.blocked_since <= t
        ):
            return (
                "ImagePullBackOff"
                if self.run.blocked.reason == "ErrImagePull"
                else self.run.blocked.reason
            )
        if self.last_terminated(t) is not None:
            return "CrashLoopBackOff"
        return "ContainerCreating"

    def program(self) -> Program | None:
        return self.world.catalog.program_for(self.spec)

    def context(self, t: datetime) -> tuple[Program, RunContext, Observation] | None:
        """(program, its context at `t`, what it had observed by then), if it ran at `t`."""
        attempt = self.attempt(t)
        program = self.program()
        if attempt is None or program is None:
            return None
        ctx = RunContext(self.world, self.pod, self.spec, t, attempt, attempt.restart)
        return program, ctx, self.world.observation(ctx)


def containers(world: World) -> Iterator[Container]:
    """Every container of every pod the kubelets ran, live and deleted."""
    for pod_run in list(world.kubelet.pods.values()) + list(world.kubelet.finished):
        specs = {c["name"]: c for c in pod_run.pod["spec"].get("containers") or []}
        for run in pod_run.main:
            if run.name in specs:
                yield Container(world, pod_run, run, specs[run.name])
