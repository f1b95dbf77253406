"""The kubelets of the emulated nodes: they pull images, start and restart containers with
CrashLoopBackOff back-off, run init containers in order, report pod status and record the
events a real kubelet records, all on the simulated clock."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sim.kube.resources import resource_for_kind
from sim.world.lifecycle import Attempt, ContainerRun, Fate
from sim.world.oom import oom_on_start, oom_while_running
from sim.world.pods import PodRun, pod_status
from sim.world.probes import run_probes
from sim.world.probes import wake_times as probe_wake_times
from sim.world.software.base import RunContext
from sim.world.software.envcheck import env_crash

if TYPE_CHECKING:
    from sim.world.runtime import World

Obj = dict[str, Any]
PODS = resource_for_kind("Pod")
SANDBOX_SECONDS = 1.0
MAX_FINISHED = 2000


def _container_id(*parts: object) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()


class Kubelet:
    """All nodes' kubelets (they share the world, so one object serves them all)."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.pods: dict[str, PodRun] = {}
        self.images: dict[str, set[str]] = {}  # node -> images present
        self.finished: list[PodRun] = []  # deleted pods, for metrics and traces of the past

    # -- the loop ---------------------------------------------------------------------------

    def sync(self, t: datetime) -> bool:
        """Bring every scheduled pod to time `t`; True if anything changed."""
        changed = False
        live = set()
        for pod in list(self.world.store.iter(PODS)):
            uid = pod["metadata"]["uid"]
            live.add(uid)
            node = (pod.get("spec") or {}).get("nodeName")
            if not node:
                continue
            run = self.pods.get(uid)
            if run is None:
                run = self._admit(pod, node, t)
                changed = True
            run.pod = pod
            changed |= self._step(pod, run, t)
            changed |= self._write_status(pod, run, t)
        for uid in set(self.pods) - live:
            del self.pods[uid]
        return changed

    def wake_times(self) -> list[datetime]:
        """When something will next change by itself (a start, an exit, a container
        becoming ready)."""
        times: list[datetime] = []
        for run in self.pods.values():
            for c in run.runs():
                if c.next_start is not None:
                    times.append(c.next_start)
                attempt = c.current
                if attempt is not None:
                    if attempt.ended is not None and not c.exit_handled:
                        times.append(attempt.ended)
                    if attempt.ready_at is not None:
                        times.append(attempt.ready_at)
                    if attempt.ended is None:
                        times += [
                            attempt.started + timedelta(seconds=s) for s in attempt.fate.wake_after
                        ]
                        times += probe_wake_times(c)
        return times

    def _admit(self, pod: Obj, node: str, t: datetime) -> PodRun:
        spec = pod.get("spec") or {}
        init = [
            ContainerRun(c["name"], c.get("image", "")) for c in spec.get("initContainers") or []
        ]
        main = [ContainerRun(c["name"], c.get("image", "")) for c in spec.get("containers") or []]
        first = t + timedelta(seconds=SANDBOX_SECONDS)
        for c in init[:1] or main:
            c.next_start = first
        run = PodRun(pod["metadata"]["uid"], node, t, init, main, pod)
        self.pods[run.uid] = run
        return run

    def _spec_of(self, pod: Obj, name: str) -> Obj:
        spec = pod.get("spec") or {}
        for c in (spec.get("initContainers") or []) + (spec.get("containers") or []):
            if c["name"] == name:
                return dict(c)
        raise KeyError(name)

    def _step(self, pod: Obj, run: PodRun, t: datetime) -> bool:
        if run.evicted is not None:
            return False  # an evicted pod's containers are stopped for good
        changed = False
        policy = (pod.get("spec") or {}).get("restartPolicy", "Always")
        for index, c in enumerate(run.runs()):
            is_init = index < len(run.init)
            spec = self._spec_of(pod, c.name)
            changed |= self._handle_spec_change(pod, c, spec, t)
            changed |= self._handle_poll(pod, c, spec, t)
            if not is_init:
                changed |= run_probes(self.world, pod, c, spec, t)
            changed |= self._handle_exit(pod, run, c, spec, t, policy, is_init)
            if c.next_start is not None and c.next_start <= t:
                self._start(pod, run, c, spec, c.next_start)
                changed = True
                changed |= self._handle_exit(pod, run, c, spec, t, policy, is_init)
        return changed

    # -- transitions ------------------------------------------------------------------------

    def _handle_spec_change(self, pod: Obj, c: ContainerRun, spec: Obj, t: datetime) -> bool:
        """An in-place image change (e.g. Chaos Mesh pod-failure) restarts the container."""
        if spec.get("image") == c.image:
            return False
        c.image = spec.get("image", "")
        attempt = c.current
        if attempt is not None and attempt.running_at(t):
            self._emit(
                pod, c, "Killing", f"Container {c.name} definition changed, will be restarted", t
            )
            attempt.kill(t)
            c.exit_handled = True
            c.next_start = t
        elif c.blocked is not None:
            c.next_start, c.blocked, c.blocked_tries = t, None, 0
        return True

    def _handle_poll(self, pod: Obj, c: ContainerRun, spec: Obj, t: datetime) -> bool:
        attempt = c.current
        if attempt is None or not attempt.running_at(t):
            return False
        program = self.world.catalog.program_for(spec)
        if program is None:
            return False
        ctx = RunContext(self.world, pod, spec, t, attempt, attempt.restart)
        new = program.poll(ctx) or oom_while_running(program, ctx, spec)
        if new is None:
            return False
        if new.kind == "exit":
            after = max(new.after, (t - attempt.started).total_seconds())
            attempt.fate = replace(new, after=after, startup=attempt.fate.startup)
        else:
            attempt.fate = replace(new, startup=attempt.fate.startup)
        return True

    def _handle_exit(
        self,
        pod: Obj,
        run: PodRun,
        c: ContainerRun,
        spec: Obj,
        t: datetime,
        policy: str,
        is_init: bool,
    ) -> bool:
        attempt = c.current
        if attempt is None or c.exit_handled or attempt.ended is None or attempt.ended > t:
            return False
        c.exit_handled = True
        ended, code = attempt.ended, attempt.fate.exit_code
        ran = (ended - attempt.started).total_seconds()
        if is_init and code == 0:
            index = run.init.index(c)
            following = run.init[index + 1 : index + 2] or run.main
            for nxt in following:
                nxt.next_start = ended
            return True
        restarts = policy == "Always" or (policy == "OnFailure" and code != 0)
        if not restarts:
            return True
        c.consecutive_failures = 1 if ran >= 600 else c.consecutive_failures + 1
        if code == 0 and ran >= 600:
            c.consecutive_failures = 0
        wait = c.backoff() if c.consecutive_failures else 0.0
        c.next_start = ended + timedelta(seconds=wait)
        if wait:
            self._emit(
                pod,
                c,
                "BackOff",
                f"Back-off restarting failed container {c.name} in "
                f"pod {pod['metadata']['name']}_{pod['metadata']['namespace']}"
                f"({pod['metadata']['uid']})",
                ended,
                warning=True,
            )
        return True

    def _start(self, pod: Obj, run: PodRun, c: ContainerRun, spec: Obj, at: datetime) -> None:
        c.next_start = None
        image = spec.get("image", "")
        present = image in self.images.setdefault(run.node, set())
        entry = self.world.catalog.image(image)
        if entry is not None and entry.pull_seconds <= 0:
            present = True  # preloaded into the node image, as kind's system images are
        pull_policy = spec.get("imagePullPolicy") or (
            "Always"
            if image.endswith(":latest") or ":" not in image.split("/")[-1]
            else "IfNotPresent"
        )
        if entry is None:
            self._pull_failed(pod, c, image, at)
            return
        if c.pulling_since is None and (
            not present or (pull_policy == "Always" and entry.pull_seconds > 0)
        ):
            c.pulling_since = at
            self._emit(pod, c, "Pulling", f'Pulling image "{image}"', at)
            pulled = at + timedelta(seconds=entry.pull_seconds if not present else 0.4)
            if pulled > at:
                c.next_start = pulled
                return
        if c.pulling_since is not None:
            took = (at - c.pulling_since).total_seconds()
            self._emit(
                pod,
                c,
                "Pulled",
                f'Successfully pulled image "{image}" in '
                f"{took:.3f}s ({took:.3f}s including waiting). Image size: "
                f"{entry.size_bytes} bytes.",
                at,
            )
            c.pulling_since = None
            self.images[run.node].add(image)
        else:
            self._emit(
                pod, c, "Pulled", f'Container image "{image}" already present on machine', at
            )
        c.blocked, c.blocked_tries = None, 0
        restart = len(c.attempts)
        program = self.world.catalog.program_for(spec)
        ctx = RunContext(self.world, pod, spec, at, None, restart)
        fate = program.start(ctx) if program is not None else self.world.catalog.exec_error(spec)
        if program is not None and fate.kind != "blocked":
            fate = env_crash(entry, ctx) or fate
        if program is not None and fate.kind == "run":
            fate = oom_on_start(program, ctx, spec, fate)
        if fate.kind == "blocked":
            c.blocked, c.blocked_since = fate, at
            c.blocked_tries += 1
            self._emit(pod, c, "Failed", f"Error: {fate.message or fate.reason}", at, warning=True)
            c.next_start = at + timedelta(seconds=min(10 * 2 ** (c.blocked_tries - 1), 300))
            return
        container_id = _container_id(pod["metadata"]["uid"], c.name, restart)
        c.attempts.append(Attempt(restart, at, fate, container_id))
        c.exit_handled = False
        if fate.reason == "StartError":
            self._emit(pod, c, "Created", f"Created container: {c.name}", at)
            self._emit(pod, c, "Failed", f"Error: {fate.message}", at, warning=True)
            return
        self._emit(pod, c, "Created", f"Created container: {c.name}", at)
        self._emit(pod, c, "Started", f"Started container {c.name}", at)

    def _pull_failed(self, pod: Obj, c: ContainerRun, image: str, at: datetime) -> None:
        ref = self.world.catalog.qualified(image)
        message = (
            f"rpc error: code = NotFound desc = failed to pull and unpack image "
            f'"{ref}": failed to resolve reference "{ref}": {ref}: not found'
        )
        c.blocked_tries += 1
        c.blocked = Fate("blocked", reason="ErrImagePull", message=message)
        c.blocked_since = at
        if c.blocked_tries == 1:
            self._emit(pod, c, "Pulling", f'Pulling image "{image}"', at)
        else:
            self._emit(pod, c, "BackOff", f'Back-off pulling image "{image}"', at, warning=True)
            self._emit(pod, c, "Failed", "Error: ImagePullBackOff", at, warning=True)
        self._emit(pod, c, "Failed", f'Failed to pull image "{image}": {message}', at, warning=True)
        self._emit(pod, c, "Failed", "Error: ErrImagePull", at, warning=True)
        c.next_start = at + timedelta(seconds=min(10 * 2 ** (c.blocked_tries - 1), 300))

    def _emit(
        self,
        pod: Obj,
        c: ContainerRun,
        reason: str,
        message: str,
        at: datetime,
        *,
        warning: bool = False,
    ) -> None:
        spec = pod.get("spec") or {}
        kind = (
            "initContainers"
            if any(i["name"] == c.name for i in spec.get("initContainers") or [])
            else "containers"
        )
        self.world.events.emit(
            pod,
            reason,
            message,
            at,
            type_="Warning" if warning else "Normal",
            component="kubelet",
            host=spec.get("nodeName"),
            field_path=f"spec.{kind}{{{c.name}}}",
        )

    # -- status -----------------------------------------------------------------------------

    def _write_status(self, pod: Obj, run: PodRun, t: datetime) -> bool:
        status = pod_status(self.world.node_ip(run.node), pod, run, t)
        if status == pod.get("status"):
            return False
        self.world.store.replace(
            PODS, {**pod, "status": status}, check_version=False, copy_result=False
        )
        return True

    # -- deletion ---------------------------------------------------------------------------

    def on_pod_deleted(self, pod: Obj, t: datetime) -> None:
        run = self.pods.pop(pod["metadata"]["uid"], None)
        if run is None:
            return
        run.pod, run.deleted = pod, t
        self.finished.append(run)
        del self.finished[:-MAX_FINISHED]
        for c in run.main:
            if c.current is not None and c.current.running_at(t):
                self._emit(pod, c, "Killing", f"Stopping container {c.name}", t)

    def evict(self, run: PodRun, message: str, t: datetime) -> None:
        """Stop every container of the pod for good; it stays behind as Failed/Evicted."""
        run.evicted = (t, message)
        for c in run.runs():
            c.next_start = None
            if c.current is not None and c.current.running_at(t):
                self._emit(run.pod, c, "Killing", f"Stopping container {c.name}", t)
                c.current.kill(t)
                c.exit_handled = True
        self.world.events.emit(
            run.pod,
            "Evicted",
            message,
            t,
            type_="Warning",
            component="kubelet",
            host=run.node,
        )

    def container_run(self, pod: Obj, name: str) -> ContainerRun | None:
        run = self.pods.get(pod["metadata"]["uid"])
        if run is None:
            return None
        return next((c for c in run.runs() if c.name == name), None)
