"""The World: object store, controllers, scheduler, kubelets, chaos and the programs in the
containers, advanced together as a discrete-event simulation on the simulated clock.

Time only moves forward. Before anyone reads or writes, `sync` advances the world to the
clock's present, stepping through every moment at which something changes by itself (a
container starts, exits or becomes ready), so timestamps, restart counts and events are those a
real cluster would show at that moment.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

from sim.clock import SimClock
from sim.kube import errors
from sim.kube.api import ExecResult
from sim.kube.resources import RESOURCE_TYPES, resource_for_kind
from sim.kube.selectors import selector_matches
from sim.kube.store import ObjectStore
from sim.world import readback
from sim.world.admission import admit
from sim.world.autoscaler import Autoscaler
from sim.world.certificates import Expiries
from sim.world.chaos import ChaosController
from sim.world.events import EventRecorder
from sim.world.kubelet import Kubelet
from sim.world.mongo import MongoData
from sim.world.mounts import Mounts
from sim.world.network import Connection, NetworkEffect, connect
from sim.world.pressure import NodePressure
from sim.world.remote_exec import run_exec
from sim.world.scheduling import Scheduler, pod_requests
from sim.world.services import EndpointsController, GarbageCollector
from sim.world.settling import Syncing, settle
from sim.world.software.base import Observation, Program, RunContext
from sim.world.software.catalog import Catalog
from sim.world.storage import Storage
from sim.world.workloads import WorkloadControllers

Obj = dict[str, Any]
PODS = resource_for_kind("Pod")
NODES = resource_for_kind("Node")
NAMESPACES = resource_for_kind("Namespace")
CONFIGMAPS = resource_for_kind("ConfigMap")
SECRETS = resource_for_kind("Secret")


def _when(entry: tuple[datetime, Observation]) -> datetime:
    return entry[0]


def _ceil_second(t: datetime) -> datetime:
    whole = t.replace(microsecond=0)
    return whole if whole == t else whole + timedelta(seconds=1)


def _no_load(pod: Obj, container: str, at: datetime) -> float:
    return 0.0


class World:
    """The cluster's state and its controllers. Holds no lambdas or locks, so a built world
    pickles: a scenario's history is simulated once and copied for each fresh cluster."""

    def __init__(self, clock: SimClock, catalog: Catalog, seed: int = 0) -> None:
        self.clock = clock
        self.catalog = catalog
        self.seed = seed
        self.now = clock.now()
        self.store = ObjectStore(now=self._present, seed=seed)
        self.events = EventRecorder(self.store)
        self.kubelet = Kubelet(self)
        self.scheduler = Scheduler(self)
        self.workloads = WorkloadControllers(self)
        self.storage = Storage(self)
        self.endpoints = EndpointsController(self)
        self.gc = GarbageCollector(self)
        self.chaos = ChaosController(self)
        self.pressure = NodePressure(self)
        self.expiries = Expiries(self)
        # Millicores a container spends serving requests, beyond its idle usage; set by
        # whoever models the traffic (the telemetry layer), read by metrics and the HPA.
        self.load: Callable[[Obj, str, datetime], float] = _no_load
        self.autoscaler = Autoscaler(self)
        # The order in which `_reconcile` runs them: owners before what they own, pods
        # scheduled before the kubelet starts them, endpoints from the pods' final state.
        self._controllers: tuple[Syncing, ...] = (
            self.gc,
            self.autoscaler,
            self.workloads,
            self.storage,
            self.scheduler,
            self.chaos,
            self.kubelet,
            self.pressure,
            self.endpoints,
        )
        self.mongo: dict[str, MongoData] = {}
        self.observations: dict[tuple[str, str, int], list[tuple[datetime, Observation]]] = {}
        self._observed = 0  # observations recorded so far (a part of `state`)
        # The snapshot this world was copied from: its id and state (sim.world.pasts).
        self.past: tuple[str, tuple[datetime, int, int]] | None = None
        self._ips: dict[str, set[str]] = {}
        self.mounts = Mounts(self.store)
        self._owned: dict[str, set[tuple[str, str]]] = {}  # controller uid -> pod keys
        # (instant, store revision) at which the world last came to rest: a reader arriving
        # at that same instant, with nothing written since, finds nothing left to do.
        self._settled: tuple[datetime, int] | None = None
        self.store.add_listener(self._on_change)

    def _present(self) -> datetime:
        return self.now

    @property
    def state(self) -> tuple[datetime, int, int]:
        """Changes whenever what anyone can see may have: the instant, a write to the store,
        or a program seeing something new. Equal states show the same world, so what is
        computed from one (the traffic at this instant) holds until the state moves."""
        return self.now, self.store.revision, self._observed

    # -- time -------------------------------------------------------------------------------

    def sync(self) -> None:
        self.advance(self.clock.now())

    def catch_up(self) -> None:
        """`sync` for a reader. A read changes nothing, so when the world came to rest at
        the clock's present and nothing has been written since, it is already there: a
        reconcile pass would find nothing to do and every program would see what it saw."""
        if self._settled != (self.clock.now(), self.store.revision):
            self.sync()

    def advance(self, until: datetime) -> None:
        """Run the cluster forward to `until`, stopping at every self-driven change."""
        until = max(until, self.now)
        self._settled = None
        settled = self._reconcile()
        while True:
            upcoming = [t for t in self._wake_times() if t > self.now]
            if not upcoming:
                break
            step = _ceil_second(min(upcoming))
            if step > until:
                break
            self.now = step
            settled = self._reconcile()
        if self.now < until:
            self.now = until
            settled = self._reconcile()
        if settled:
            self._settled = (self.now, self.store.revision)

    def _wake_times(self) -> list[datetime]:
        return (
            self.kubelet.wake_times()
            + self.scheduler.wake_times()
            + self.chaos.wake_times()
            + self.workloads.wake_times()
            + self.pressure.wake_times()
            + self.expiries.wake_times()
            + self.autoscaler.wake_times()
        )

    def _reconcile(self) -> bool:
        """Settle the controllers at `now`, then record what the programs see. True if the
        world is at rest: the controllers settled and no program saw anything new (which a
        controller might act on)."""
        settled = settle(self._controllers, self.now)
        seen_new = self._observe(self.now)
        return settled and not seen_new

    def _observe(self, t: datetime) -> bool:
        """Record, for each running program, what it sees changing (a dependency failing,
        a flag flipping): its logs for any interval are rendered from this history. True if
        any program saw something new."""
        new = False
        for pod in self.store.iter(PODS):
            for program, ctx in self.running(pod, t):
                seen = dict(program.observe(ctx))
                key = (pod["metadata"]["uid"], ctx.container["name"], ctx.restart)
                history = self.observations.setdefault(key, [])
                if not history or history[-1][1] != seen:
                    history.append((t, seen))
                    self._observed += 1
                    new = True
        return new

    # -- store hooks ------------------------------------------------------------------------

    def _on_change(self, event: str, rt: Any, obj: Obj) -> None:
        if rt.kind == "Pod":
            key = (obj["metadata"]["namespace"], obj["metadata"]["name"])
            for ref in obj["metadata"].get("ownerReferences") or []:
                if ref.get("controller"):
                    owned = self._owned.setdefault(ref["uid"], set())
                    if event == "DELETED":
                        owned.discard(key)
                    else:
                        owned.add(key)
        if event != "DELETED":
            return
        if rt.kind == "Pod":
            self.kubelet.on_pod_deleted(obj, self.now)
            self.mounts.forget(obj["metadata"]["uid"])
            ip = (obj.get("status") or {}).get("podIP")
            for used in self._ips.values():
                used.discard(ip)
        elif rt.kind == "Namespace":
            name = obj["metadata"]["name"]
            for kind in RESOURCE_TYPES:
                if kind.namespaced and not kind.virtual:
                    for child in list(self.store.iter(kind, name)):
                        self.store.delete(kind, name, child["metadata"]["name"])

    def pods_of_deployment(self, deployment: Obj) -> list[Obj]:
        """The Deployment's pods that still count (not Failed or Succeeded)."""
        selector = (deployment.get("spec") or {}).get("selector") or {}
        return [
            pod
            for pod in self.store.iter(PODS, deployment["metadata"]["namespace"])
            if selector_matches(selector, pod["metadata"].get("labels"))
            and (pod.get("status") or {}).get("phase") not in ("Failed", "Succeeded")
        ]

    def pods_of(self, owner_uid: str) -> list[Obj]:
        """Live pods whose controller is the object with this uid, in name order."""
        pods = (
            self.store.peek(PODS, ns, name) for ns, name in sorted(self._owned.get(owner_uid, ()))
        )
        return [p for p in pods if p is not None]

    def delete_pod(self, pod: Obj, t: datetime) -> None:
        if self.store.peek(PODS, pod["metadata"]["namespace"], pod["metadata"]["name"]):
            self.store.delete(PODS, pod["metadata"]["namespace"], pod["metadata"]["name"])

    def kill_container(self, pod: Obj, name: str, t: datetime) -> None:
        """SIGKILL a running container (Chaos Mesh container-kill): it exits 137."""
        run = self.kubelet.container_run(pod, name)
        attempt = run.current if run else None
        if attempt is None or not attempt.running_at(t):
            return
        attempt.kill(t)

    # -- what programs see ------------------------------------------------------------------

    def connect(self, source: Obj, host: str, port: int, at: datetime) -> Connection:
        return connect(self, source, host, port, at)

    def network_effect(self, source: Obj, target: Obj, at: datetime) -> NetworkEffect:
        return self.chaos.network_effect(source, target, at)

    def running(self, pod: Obj, at: datetime) -> Iterator[tuple[Program, RunContext]]:
        """(program, context) of each of the pod's containers running at `at`."""
        for container in pod["spec"].get("containers") or []:
            run = self.kubelet.container_run(pod, container["name"])
            attempt = run.current if run else None
            if attempt is None or not attempt.running_at(at):
                continue
            program = self.catalog.program_for(container)
            if program is not None:
                yield program, RunContext(self, pod, container, at, attempt, attempt.restart)

    def observation(self, ctx: RunContext) -> Observation:
        """What the program observed as of `ctx.at` (its recorded history, not live state)."""
        key = (ctx.pod["metadata"]["uid"], ctx.container["name"], ctx.restart)
        history = self.observations.get(key, [])
        index = bisect.bisect_right(history, ctx.at, key=_when) - 1
        return history[index][1] if index >= 0 else {}

    def serving_ports(self, pod: Obj, at: datetime) -> set[int]:
        ports: set[int] = set()
        for program, ctx in self.running(pod, at):
            ports |= program.serving(ctx)
        return ports

    def pod_ready(self, pod: Obj) -> bool:
        return any(
            c["type"] == "Ready" and c["status"] == "True"
            for c in (pod.get("status") or {}).get("conditions") or []
        )

    def program_serving(
        self, pod: Obj, port: int, at: datetime
    ) -> tuple[Program, RunContext] | None:
        """The program (and its context) accepting connections on `port` in `pod`."""
        for program, ctx in self.running(pod, at):
            if port in program.serving(ctx):
                return program, ctx
        return None

    def mongo_data(self, pod: Obj, mount_path: str = "/data/db") -> MongoData:
        """The data directory a mongod pod uses: its volume's (persisted) or its own."""
        key = f"pod:{pod['metadata']['uid']}"
        container = pod["spec"]["containers"][0]
        volumes = {v["name"]: v for v in pod["spec"].get("volumes") or []}
        for mount in container.get("volumeMounts") or []:
            if mount["mountPath"].rstrip("/") == mount_path:
                claim = volumes.get(mount["name"], {}).get("persistentVolumeClaim") or {}
                pvc = self.store.peek(
                    resource_for_kind("PersistentVolumeClaim"),
                    pod["metadata"]["namespace"],
                    claim.get("claimName", ""),
                )
                if pvc is not None and pvc["spec"].get("volumeName"):
                    key = f"pv:{pvc['spec']['volumeName']}"
        return self.mongo.setdefault(key, MongoData())

    # -- nodes ------------------------------------------------------------------------------

    def node_ip(self, node: str) -> str:
        obj = self.store.peek(NODES, None, node) or {}
        for address in (obj.get("status") or {}).get("addresses") or []:
            if address["type"] == "InternalIP":
                return str(address["address"])
        return ""

    def allocate_ip(self, node: str) -> str:
        obj = self.store.peek(NODES, None, node) or {}
        cidr = (obj.get("spec") or {}).get("podCIDR", "10.244.1.0/24")
        prefix = cidr.rsplit(".", 1)[0]
        used = self._ips.setdefault(node, set())
        for host in range(2, 255):
            ip = f"{prefix}.{host}"
            if ip not in used:
                used.add(ip)
                return ip
        raise errors.ApiError(500, f"no pod IPs left on node {node}")

    def node_allocated(self, node: str) -> tuple[int, int]:
        cpu = memory = 0
        for pod in self.store.iter(PODS):
            if pod["spec"].get("nodeName") == node and (pod.get("status") or {}).get(
                "phase"
            ) not in ("Succeeded", "Failed"):
                c, m = pod_requests(pod["spec"])
                cpu, memory = cpu + c, memory + m
        return cpu, memory

    # -- reading back -----------------------------------------------------------------------

    def stable_hash(self, *parts: object) -> int:
        digest = hashlib.sha256("|".join(map(str, (self.seed, *parts))).encode()).digest()
        return int.from_bytes(digest[:8], "big")

    def now_time(self) -> datetime:
        return self.now

    def admit(self, rt: Any, obj: Obj) -> None:
        admit(self, rt, obj)

    def logs(
        self,
        namespace: str,
        pod: str,
        container: str | None,
        *,
        previous: bool,
        tail_lines: int | None,
        since_seconds: int | None,
        timestamps: bool,
    ) -> str:
        return readback.logs(
            self,
            namespace,
            pod,
            container,
            previous=previous,
            tail_lines=tail_lines,
            since_seconds=since_seconds,
            timestamps=timestamps,
        )

    def exec(
        self,
        namespace: str,
        pod: str,
        container: str | None,
        command: list[str],
        *,
        check_only: bool = False,
    ) -> ExecResult | None:
        return run_exec(self, namespace, pod, container, command, check_only=check_only)

    def pod_metrics(self, namespace: str | None) -> list[Obj]:
        return readback.pod_metrics(self, namespace)

    def node_metrics(self) -> list[Obj]:
        return readback.node_metrics(self)
