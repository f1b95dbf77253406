"""The World: object store, controllers, scheduler, kubelets, chaos and the programs in the
containers, advanced together as a discrete-event simulation on the simulated clock.

Time only moves forward. Before anyone reads or writes, `sync` advances the world to the
clock's present, stepping through every moment at which something changes by itself (a
container starts, exits or becomes ready), so timestamps, restart counts and events are those a
real cluster would show at that moment.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sim.clock import SimClock
from sim.kube import errors
from sim.kube.resources import RESOURCE_TYPES, resource_for_kind
from sim.kube.store import ObjectStore
from sim.world.admission import admit
from sim.world.chaos import ChaosController
from sim.world.events import EventRecorder
from sim.world.kubelet import Kubelet
from sim.world.lifecycle import Attempt, ContainerRun
from sim.world.mongo import MongoData
from sim.world.network import Connection, NetworkEffect, connect
from sim.world.scheduling import Scheduler, pod_requests
from sim.world.services import EndpointsController, GarbageCollector
from sim.world.software.base import Observation, RunContext
from sim.world.software.catalog import Catalog
from sim.world.storage import Storage
from sim.world.workloads import WorkloadControllers

Obj = dict[str, Any]
PODS = resource_for_kind("Pod")
NODES = resource_for_kind("Node")
NAMESPACES = resource_for_kind("Namespace")
CONFIGMAPS = resource_for_kind("ConfigMap")
SECRETS = resource_for_kind("Secret")
MAX_PASSES = 40


def _ceil_second(t: datetime) -> datetime:
    whole = t.replace(microsecond=0)
    return whole if whole == t else whole + timedelta(seconds=1)


class World:
    def __init__(self, clock: SimClock, catalog: Catalog, seed: int = 0) -> None:
        self.clock = clock
        self.catalog = catalog
        self.seed = seed
        self.now = clock.now()
        self.store = ObjectStore(now=lambda: self.now, seed=seed)
        self.events = EventRecorder(self.store)
        self.kubelet = Kubelet(self)
        self.scheduler = Scheduler(self)
        self.workloads = WorkloadControllers(self)
        self.storage = Storage(self)
        self.endpoints = EndpointsController(self)
        self.gc = GarbageCollector(self)
        self.chaos = ChaosController(self)
        self.mongo: dict[str, MongoData] = {}
        self.observations: dict[tuple[str, str, int], list[tuple[datetime, Observation]]] = {}
        self._ips: dict[str, set[str]] = {}
        self.emptydirs: dict[tuple[str, str], dict[str, str]] = {}
        self._owned: dict[str, set[tuple[str, str]]] = {}  # controller uid -> pod keys
        self.store.add_listener(self._on_change)

    # -- time -------------------------------------------------------------------------------

    def sync(self) -> None:
        self.advance(self.clock.now())

    def advance(self, until: datetime) -> None:
        """Run the cluster forward to `until`, stopping at every self-driven change."""
        until = max(until, self.now)
        self._reconcile()
        while True:
            upcoming = [t for t in self._wake_times() if t > self.now]
            if not upcoming:
                break
            step = _ceil_second(min(upcoming))
            if step > until:
                break
            self.now = step
            self._reconcile()
        if self.now < until:
            self.now = until
            self._reconcile()

    def _wake_times(self) -> list[datetime]:
        return (
            self.kubelet.wake_times()
            + self.scheduler.wake_times()
            + self.chaos.wake_times()
            + self.workloads.wake_times()
        )

    def _reconcile(self) -> None:
        t = self.now
        for _ in range(MAX_PASSES):
            changed = self.gc.sync(t)
            changed |= self.workloads.sync(t)
            changed |= self.storage.sync(t)
            changed |= self.scheduler.sync(t)
            changed |= self.chaos.sync(t)
            changed |= self.kubelet.sync(t)
            changed |= self.endpoints.sync(t)
            if not changed:
                break
        self._observe(t)

    def _observe(self, t: datetime) -> None:
        for pod in self.store.iter(PODS):
            for container in pod["spec"].get("containers") or []:
                run = self.kubelet.container_run(pod, container["name"])
                attempt = run.current if run else None
                if attempt is None or not attempt.running_at(t):
                    continue
                program = self.catalog.program_for(container)
                if program is None:
                    continue
                ctx = RunContext(self, pod, container, t, attempt, attempt.restart)
                seen = dict(program.observe(ctx))
                key = (pod["metadata"]["uid"], container["name"], attempt.restart)
                history = self.observations.setdefault(key, [])
                if not history or history[-1][1] != seen:
                    history.append((t, seen))

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
            for key in [k for k in self.emptydirs if k[0] == obj["metadata"]["uid"]]:
                del self.emptydirs[key]
            ip = (obj.get("status") or {}).get("podIP")
            for used in self._ips.values():
                used.discard(ip)
        elif rt.kind == "Namespace":
            name = obj["metadata"]["name"]
            for kind in RESOURCE_TYPES:
                if kind.namespaced and not kind.virtual:
                    for child in list(self.store.iter(kind, name)):
                        self.store.delete(kind, name, child["metadata"]["name"])

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
        attempt.fate = replace(
            attempt.fate,
            kind="exit",
            exit_code=137,
            reason="Error",
            after=(t - attempt.started).total_seconds(),
        )

    # -- what programs see ------------------------------------------------------------------

    def connect(self, source: Obj, host: str, port: int, at: datetime) -> Connection:
        return connect(self, source, host, port, at)

    def network_effect(self, source: Obj, target: Obj, at: datetime) -> NetworkEffect:
        return self.chaos.network_effect(source, target, at)

    def serving_ports(self, pod: Obj, at: datetime) -> set[int]:
        ports: set[int] = set()
        for container in pod["spec"].get("containers") or []:
            run = self.kubelet.container_run(pod, container["name"])
            attempt = run.current if run else None
            if attempt is None or not attempt.running_at(at):
                continue
            program = self.catalog.program_for(container)
            if program is not None:
                ports |= program.serving(
                    RunContext(self, pod, container, at, attempt, attempt.restart)
                )
        return ports

    def pod_ready(self, pod: Obj) -> bool:
        return any(
            c["type"] == "Ready" and c["status"] == "True"
            for c in (pod.get("status") or {}).get("conditions") or []
        )

    def container_env(self, pod: Obj, container: Obj) -> dict[str, str]:
        namespace = pod["metadata"]["namespace"]
        values: dict[str, str] = {}
        for source in container.get("envFrom") or []:
            ref = source.get("configMapRef") or source.get("secretRef") or {}
            data = self._data(namespace, ref.get("name", ""), secret="secretRef" in source)
            values.update({source.get("prefix", "") + k: v for k, v in data.items()})
        for item in container.get("env") or []:
            if "value" in item:
                values[item["name"]] = re.sub(
                    r"\$\((\w+)\)", lambda m: values.get(m.group(1), m.group(0)), str(item["value"])
                )
                continue
            source = item.get("valueFrom") or {}
            if "fieldRef" in source:
                values[item["name"]] = self._field(pod, source["fieldRef"].get("fieldPath", ""))
            for key, secret in (("configMapKeyRef", False), ("secretKeyRef", True)):
                if key in source:
                    ref = source[key]
                    data = self._data(namespace, ref.get("name", ""), secret=secret)
                    if ref.get("key") in data:
                        values[item["name"]] = data[ref["key"]]
        return values

    def _field(self, pod: Obj, path: str) -> str:
        if path == "status.podIP":
            return str((pod.get("status") or {}).get("podIP", ""))
        match = re.match(r"metadata\.(labels|annotations)\['(.+)'\]", path)
        if match:
            return str((pod["metadata"].get(match.group(1)) or {}).get(match.group(2), ""))
        node: Any = pod
        for part in path.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        return "" if node is None else str(node)

    def _data(self, namespace: str, name: str, *, secret: bool) -> dict[str, str]:
        obj = self.store.peek(SECRETS if secret else CONFIGMAPS, namespace, name)
        if obj is None:
            return {}
        if secret:
            out = {
                k: base64.b64decode(v).decode(errors="replace")
                for k, v in (obj.get("data") or {}).items()
            }
            out.update(obj.get("stringData") or {})
            return out
        return dict(obj.get("data") or {})

    def mounted_file(self, pod: Obj, container: Obj, path: str) -> str | None:
        volumes = {v["name"]: v for v in pod["spec"].get("volumes") or []}
        namespace = pod["metadata"]["namespace"]
        for mount in container.get("volumeMounts") or []:
            mount_path = mount["mountPath"].rstrip("/")
            volume = volumes.get(mount["name"]) or {}
            if mount.get("subPath"):
                if path != mount_path:
                    continue
                key = mount["subPath"]
            elif path.startswith(mount_path + "/"):
                key = path[len(mount_path) + 1 :]
            else:
                continue
            if "emptyDir" in volume:
                files = self.emptydirs.get((pod["metadata"]["uid"], mount["name"]), {})
                return files.get(key)
            for kind, secret in (("configMap", False), ("secret", True)):
                if kind not in volume:
                    continue
                ref = volume[kind]
                data = self._data(
                    namespace, ref.get("name") or ref.get("secretName", ""), secret=secret
                )
                items = {i["path"]: i["key"] for i in ref.get("items") or []}
                return data.get(items.get(key, key))
        return None

    def write_emptydir(self, pod: Obj, container: Obj, path: str, content: str) -> bool:
        """A container writes a file into an emptyDir volume it mounts (shared by the pod)."""
        volumes = {v["name"]: v for v in pod["spec"].get("volumes") or []}
        for mount in container.get("volumeMounts") or []:
            root = mount["mountPath"].rstrip("/")
            if path.startswith(root + "/") and "emptyDir" in volumes.get(mount["name"], {}):
                files = self.emptydirs.setdefault((pod["metadata"]["uid"], mount["name"]), {})
                files[path[len(root) + 1 :]] = content
                return True
        return False

    def mounted_dir(self, pod: Obj, container: Obj, directory: str) -> dict[str, str]:
        """All files a ConfigMap or Secret volume puts under `directory`."""
        volumes = {v["name"]: v for v in pod["spec"].get("volumes") or []}
        for mount in container.get("volumeMounts") or []:
            if mount["mountPath"].rstrip("/") != directory.rstrip("/") or mount.get("subPath"):
                continue
            volume = volumes.get(mount["name"]) or {}
            if "configMap" in volume:
                return self._data(
                    pod["metadata"]["namespace"], volume["configMap"]["name"], secret=False
                )
            if "secret" in volume:
                return self._data(
                    pod["metadata"]["namespace"],
                    volume["secret"].get("secretName", ""),
                    secret=True,
                )
        return {}

    def program_serving(self, pod: Obj, port: int, at: datetime) -> tuple[Any, RunContext] | None:
        """The program (and its context) accepting connections on `port` in `pod`."""
        for container in pod["spec"].get("containers") or []:
            run = self.kubelet.container_run(pod, container["name"])
            attempt = run.current if run else None
            if attempt is None or not attempt.running_at(at):
                continue
            program = self.catalog.program_for(container)
            if program is None:
                continue
            ctx = RunContext(self, pod, container, at, attempt, attempt.restart)
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

    def attempt_log(
        self, pod: Obj, container: Obj, attempt: Attempt, run: ContainerRun
    ) -> list[tuple[datetime, str]]:
        """Every line a container instance has written up to now, in order."""
        start = attempt.started
        end = attempt.ended if attempt.ended and attempt.ended < self.now else self.now
        lines = [
            (start + timedelta(seconds=line.offset), line.text) for line in attempt.fate.startup
        ] + list(attempt.lines)
        program = self.catalog.program_for(container)
        if program is not None:
            ctx = RunContext(self, pod, container, end, attempt, attempt.restart)
            key = (pod["metadata"]["uid"], container["name"], attempt.restart)
            lines += program.runtime_log(ctx, start, end, self.observations.get(key, []))
        if attempt.ended is not None:
            lines += [
                (attempt.ended + timedelta(seconds=line.offset), line.text)
                for line in attempt.fate.final
            ]
        lines.sort(key=lambda item: item[0])
        return [(t, text) for t, text in lines if t <= self.now]

    def logs(
        self,
        namespace: str,
        pod_name: str,
        container: str | None,
        *,
        previous: bool,
        tail_lines: int | None,
        since_seconds: int | None,
        timestamps: bool,
    ) -> str:
        pod = self.store.peek(PODS, namespace, pod_name)
        if pod is None:
            raise errors.not_found(PODS, pod_name)
        spec = pod["spec"]
        names = [c["name"] for c in spec.get("containers") or []]
        init_names = [c["name"] for c in spec.get("initContainers") or []]
        if container is None:
            if len(names) != 1:
                extra = (
                    f" or one of the init containers: [{' '.join(init_names)}]"
                    if init_names
                    else ""
                )
                raise errors.bad_request(
                    f"a container name must be specified for pod "
                    f"{pod_name}, choose one of: [{' '.join(names)}]{extra}"
                )
            container = names[0]
        if container not in names + init_names:
            raise errors.bad_request(f"container {container} is not valid for pod {pod_name}")
        container_spec = next(
            c
            for c in (spec.get("containers") or []) + (spec.get("initContainers") or [])
            if c["name"] == container
        )
        run = self.kubelet.container_run(pod, container)
        if run is None or not run.attempts:
            reason = "ContainerCreating"
            if run is not None and run.blocked is not None:
                reason = run.blocked.reason
            if reason in ("ErrImagePull", "ImagePullBackOff"):
                detail = "trying and failing to pull image"
            else:
                detail = reason
            raise errors.bad_request(
                f'container "{container}" in pod "{pod_name}" is waiting to start: {detail}'
            )
        if previous:
            if len(run.attempts) < 2:
                raise errors.bad_request(
                    f'previous terminated container "{container}" in pod "{pod_name}" not found'
                )
            attempt = run.attempts[-2]
        else:
            attempt = run.attempts[-1]
        lines = self.attempt_log(pod, container_spec, attempt, run)
        if since_seconds is not None:
            cutoff = self.now - timedelta(seconds=since_seconds)
            lines = [line for line in lines if line[0] >= cutoff]
        if tail_lines is not None and tail_lines >= 0:
            lines = lines[-tail_lines:] if tail_lines else []
        out = []
        for t, text in lines:
            prefix = (
                t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "000Z " if timestamps else ""
            )
            out.append(prefix + text)
        return "".join(line + "\n" for line in out)

    def _usage(self, pod: Obj, container: Obj) -> tuple[int, int] | None:
        run = self.kubelet.container_run(pod, container["name"])
        attempt = run.current if run else None
        if attempt is None or not attempt.running_at(self.now):
            return None
        program = self.catalog.program_for(container)
        if program is None:
            return None
        ctx = RunContext(self, pod, container, self.now, attempt, attempt.restart)
        cpu, memory = program.usage(ctx)
        # A few percent of steady jitter per 30 s window, as metrics-server shows.
        window = int(self.now.timestamp() // 30)
        jitter = (
            self.stable_hash(pod["metadata"]["uid"], container["name"], window) % 21 - 10
        ) / 100
        return max(1, math.ceil(cpu * (1 + jitter))), max(1, math.ceil(memory * (1 + jitter / 2)))

    def pod_metrics(self, namespace: str | None) -> list[Obj]:
        items = []
        stamp = self.now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        for pod in self.store.iter(PODS, namespace):
            containers = []
            for container in pod["spec"].get("containers") or []:
                usage = self._usage(pod, container)
                if usage is not None:
                    containers.append(
                        {
                            "name": container["name"],
                            "usage": {
                                "cpu": f"{usage[0] * 1_000_000}n",
                                "memory": f"{usage[1] * 1024}Ki",
                            },
                        }
                    )
            if containers:
                meta = pod["metadata"]
                items.append(
                    {
                        "metadata": {
                            "name": meta["name"],
                            "namespace": meta["namespace"],
                            "creationTimestamp": stamp,
                            "labels": meta.get("labels") or {},
                        },
                        "timestamp": stamp,
                        "window": "30s",
                        "containers": containers,
                    }
                )
        return items

    def node_metrics(self) -> list[Obj]:
        stamp = self.now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        items = []
        for node in self.store.iter(NODES):
            name = node["metadata"]["name"]
            cpu, memory = 180, 1400  # kubelet, containerd and system daemons
            for pod in self.store.iter(PODS):
                if pod["spec"].get("nodeName") != name:
                    continue
                for container in pod["spec"].get("containers") or []:
                    usage = self._usage(pod, container)
                    if usage is not None:
                        cpu, memory = cpu + usage[0], memory + usage[1]
            items.append(
                {
                    "metadata": {
                        "name": name,
                        "creationTimestamp": stamp,
                        "labels": node["metadata"].get("labels") or {},
                    },
                    "timestamp": stamp,
                    "window": "20.05s",
                    "usage": {"cpu": f"{cpu * 1_000_000}n", "memory": f"{memory * 1024}Ki"},
                }
            )
        return items
