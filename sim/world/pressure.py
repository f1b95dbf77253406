"""The kubelet's eviction manager for node memory: when a node's available memory drops under
the hard threshold (100Mi), the node reports MemoryPressure, gets the memory-pressure
NoSchedule taint, and the kubelet evicts one pod per monitoring interval, BestEffort and most
over-request first. The condition clears only after the pressure transition period."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sim.clock import rfc3339
from sim.kube.resources import resource_for_kind
from sim.world.scheduling import parse_memory

if TYPE_CHECKING:
    from sim.world.pods import PodRun
    from sim.world.runtime import World

Obj = dict[str, Any]
NODES = resource_for_kind("Node")
MIB = 2**20
THRESHOLD_MIB = 100
MONITOR = timedelta(seconds=10)
TRANSITION = timedelta(minutes=5)
TAINT = {"key": "node.kubernetes.io/memory-pressure", "effect": "NoSchedule"}
PROTECTED = ("kube-system",)  # node-critical agents: evicted last (here: never)


@dataclass
class NodeMemory:
    pressure: bool = False
    relieved_since: datetime | None = None
    last_eviction: datetime | None = None


class NodePressure:
    def __init__(self, world: World) -> None:
        self.world = world
        self.nodes: dict[str, NodeMemory] = {}
        self._checked: datetime | None = None

    def used_mib(self, run: PodRun, t: datetime) -> float:
        return sum(
            program.usage(ctx, self.world.observation(ctx))[1]
            for program, ctx in self.world.running(run.pod, t)
        )

    def sync(self, t: datetime) -> bool:
        if t == self._checked:
            return False  # once per moment: memory only moves when containers do
        self._checked = t
        changed = False
        for node in list(self.world.store.iter(NODES)):
            name = node["metadata"]["name"]
            state = self.nodes.setdefault(name, NodeMemory())
            runs = [r for r in self.world.kubelet.pods.values() if r.node == name]
            capacity = parse_memory((node.get("status") or {}).get("capacity", {}).get("memory"))
            available = capacity / MIB - sum(self.used_mib(r, t) for r in runs if not r.evicted)
            under = available < THRESHOLD_MIB
            if under:
                state.relieved_since = None
                if not state.pressure:
                    state.pressure = True
                    changed |= self._mark(node, True, t)
                if state.last_eviction is None or t - state.last_eviction >= MONITOR:
                    changed |= self._evict_one(node, runs, available, t)
                    state.last_eviction = t
            elif state.pressure:
                state.relieved_since = state.relieved_since or t
                if t - state.relieved_since >= TRANSITION:
                    state.pressure = False
                    changed |= self._mark(node, False, t)
        return changed

    def wake_times(self) -> list[datetime]:
        out = []
        for state in self.nodes.values():
            if state.pressure and state.relieved_since is None and state.last_eviction:
                out.append(state.last_eviction + MONITOR)
            if state.pressure and state.relieved_since is not None:
                out.append(state.relieved_since + TRANSITION)
        return out

    def _mark(self, node: Obj, pressure: bool, t: datetime) -> bool:
        node = copy.deepcopy(node)
        for condition in node["status"].get("conditions") or []:
            if condition["type"] == "MemoryPressure":
                condition.update(
                    {
                        "status": "True" if pressure else "False",
                        "reason": "KubeletHasInsufficientMemory"
                        if pressure
                        else "KubeletHasSufficientMemory",
                        "message": "kubelet has insufficient memory available"
                        if pressure
                        else "kubelet has sufficient memory available",
                        "lastTransitionTime": rfc3339(t),
                        "lastHeartbeatTime": rfc3339(t),
                    }
                )
        taints = [x for x in node["spec"].get("taints") or [] if x.get("key") != TAINT["key"]]
        if pressure:
            taints.append({**TAINT, "timeAdded": rfc3339(t)})
        node["spec"]["taints"] = taints
        if not taints:
            node["spec"].pop("taints")
        self.world.store.replace(NODES, node, check_version=False, copy_result=False)
        reason = "NodeHasInsufficientMemory" if pressure else "NodeHasSufficientMemory"
        self.world.events.emit(
            node,
            reason,
            f"Node {node['metadata']['name']} status is now: {reason}",
            t,
            component="kubelet",
            host=node["metadata"]["name"],
        )
        return True

    def _evict_one(self, node: Obj, runs: list[PodRun], available: float, t: datetime) -> bool:
        """Evict the pod the kubelet ranks first: usage over request, then lower priority,
        then by how far over its request it is."""
        candidates = []
        for run in runs:
            if run.evicted or run.pod["metadata"]["namespace"] in PROTECTED:
                continue
            used = self.used_mib(run, t)
            request = (
                sum(
                    parse_memory(((c.get("resources") or {}).get("requests") or {}).get("memory"))
                    for c in run.pod["spec"].get("containers") or []
                )
                / MIB
            )
            priority = int(run.pod["spec"].get("priority") or 0)
            candidates.append((used > request, -priority, used - request, run, used, request))
        if not candidates:
            return False
        candidates.sort(key=lambda c: (c[0], c[1], c[2]), reverse=True)
        *_, run, used, request = candidates[0]
        container = (run.pod["spec"].get("containers") or [{}])[0].get("name", "")
        message = (
            f"The node was low on resource: memory. Threshold quantity: {THRESHOLD_MIB}Mi, "
            f"available: {max(int(available * 1024), 0)}Ki. Container {container} was using "
            f"{int(used * 1024)}Ki, request is {int(request * 1024) if request else 0}, "
            "has larger consumption of its overcommitted resource."
        )
        self.world.events.emit(
            node,
            "EvictionThresholdMet",
            "Attempting to reclaim memory",
            t,
            type_="Warning",
            component="kubelet",
            host=node["metadata"]["name"],
        )
        self.world.kubelet.evict(run, message, t)
        return True
