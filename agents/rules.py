"""The `rules` agent: the investigation loop with no model. It looks at the cluster only
through the Probe's tools (policy-checked kubectl reads as the read-only identity, made
through the API client: tools.kube_api; Prometheus; Jaeger), from a surface scan to depth,
runs the analyzers, and writes the finding."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from agents.analyzers import Observations, analyze
from agents.analyzers.chaos import CHAOS_KINDS
from agents.models import Evidence, Finding, Iteration, Signal, Trajectory
from agents.sources import sources
from agents.target import ClusterTarget
from agents.tools.kube_api import KubeApi
from agents.tools.kubectl import Kubectl
from agents.tools.metrics import Metrics
from agents.tools.record import ToolCall
from agents.tools.traces import Traces
from policies import Policy, default_policy

SURFACE = (
    "pods",
    "deployments",
    "replicasets",
    "services",
    "endpoints",
    "events",
    "pvc",
    "configmaps",
    "hpa",
)
SURFACE_KINDS = {
    "Pod": "pods",
    "Deployment": "deployments",
    "ReplicaSet": "replicasets",
    "Service": "services",
    "Endpoints": "endpoints",
    "Event": "events",
    "PersistentVolumeClaim": "pvc",
    "ConfigMap": "configmaps",
    "HorizontalPodAutoscaler": "hpa",
}
CHAOS = {"PodChaos": "podchaos", "NetworkChaos": "networkchaos", "DNSChaos": "dnschaos"}
# Requests per service now against ten minutes ago: a surge explains throttling at a sane limit.
REQUEST_CHANGE = (
    'sum by (service) (rate({m}_count{{namespace="$ns"}}[2m])) / '
    'sum by (service) (rate({m}_count{{namespace="$ns"}}[2m] offset 10m))'
)
REQUEST_METRICS = ("http_server_request_duration_seconds", "rpc_server_duration_seconds")
PARALLEL_READS = 4  # log requests at once in the depth step
DETECTED_AT = 0.6  # the weakest signal that counts as a fault
Progress = Callable[[str], None]
Obj = dict[str, Any]


class RulesAgent:
    def __init__(self, target: ClusterTarget, policy: Policy | None = None) -> None:
        if not target.namespace:
            raise ValueError("the rules agent needs the incident's namespace")
        self.target = target
        self.namespace: str = target.namespace
        self.policy = policy or default_policy()
        self.api = KubeApi(Kubectl(target, "probe", policy))
        self.metrics = Metrics(target.prometheus_url) if target.prometheus_url else None
        self.traces = Traces(target.jaeger_url) if target.jaeger_url else None

    def investigate(self, alert: str | None = None, progress: Progress | None = None) -> Trajectory:
        say = progress or (lambda _: None)
        trajectory = Trajectory(
            id=uuid.uuid4().hex,
            agent="rules",
            alert=alert,
            target={
                "namespace": self.namespace,
                "prometheus_url": self.target.prometheus_url,
                "jaeger_url": self.target.jaeger_url,
            },
        )
        obs = Observations(
            self.namespace, runbooks=self.policy.executor.runbooks_in(self.namespace)
        )
        try:
            say("surface scan: objects, events and the first metrics")
            trajectory.iterations.append(self._step(0, lambda calls: self._surface(obs, calls)))
            say("depth: logs of the pods, traces of the failing services")
            trajectory.iterations.append(self._step(1, lambda calls: self._depth(obs, calls)))
        finally:
            self.api.close()
        signals = analyze(obs)
        trajectory.iterations[-1].signals = signals[:10]
        trajectory.finding = finding(signals, [c for i in trajectory.iterations for c in i.calls])
        trajectory.ended = datetime.now(UTC)
        return trajectory

    def _step(self, index: int, work: Callable[[list[ToolCall]], None]) -> Iteration:
        started = time.monotonic()
        calls: list[ToolCall] = []
        work(calls)
        return Iteration(index=index, calls=calls, seconds=round(time.monotonic() - started, 3))

    def _get(self, calls: list[ToolCall], *kinds: str) -> ToolCall:
        call = self.api.get(list(kinds), self.namespace)
        calls.append(call)
        return call

    def _surface(self, obs: Observations, calls: list[ToolCall]) -> None:
        # The core kinds in one read; if the cluster refuses one of them, each on its own so
        # the others still count. Chaos Mesh's kinds apart: a cluster without it lacks them.
        together = self._get(calls, *SURFACE)
        if not (together.ok and obs.add_mixed_list(together.raw, SURFACE_KINDS)):
            for kind in SURFACE:
                obs.add_list(kind, self._get(calls, kind).raw)
        chaos = self._get(calls, *CHAOS_KINDS)
        if chaos.ok:
            obs.add_mixed_list(chaos.raw, CHAOS)
        if self.metrics is not None:
            for name in (
                "error_rate",
                "throttling",
                "cpu",
                "memory_vs_limit",
                "cpu_change",
                "memory_change",
            ):
                call = self.metrics.named(name, self.namespace)
                calls.append(call)
                obs.metrics[name] = call.raw if call.ok else ""
            change = " or ".join(REQUEST_CHANGE.format(m=m) for m in REQUEST_METRICS)
            call = self.metrics.promql(change.replace("$ns", self.namespace))
            calls.append(call)
            obs.metrics["request_change"] = call.raw if call.ok else ""

    def _depth(self, obs: Observations, calls: list[ToolCall]) -> None:
        if any((c.get("status") or {}).get("phase") == "Pending" for c in obs.items("pvc")):
            # Cluster-scoped: which volumes the waiting claims could have had.
            obs.add_list("pv", self._get(calls, "pv").raw)
        # Each running (or failed) pod's logs, and the previous run's of each container that
        # restarted: one request a container, a few at a time (against a remote cluster the
        # round trips, not the CPU, are what an alert would wait for).
        pods = [
            pod
            for pod in obs.items("pods")
            if (pod.get("status") or {}).get("phase") in ("Running", "Failed")
        ]
        restarted = [(pod, name) for pod in pods for name in _restarted(pod)]
        with ThreadPoolExecutor(max_workers=PARALLEL_READS) as pool:
            current = list(pool.map(lambda pod: self.api.logs(pod, self.namespace), pods))
            previous = list(
                pool.map(
                    lambda read: self.api.previous_logs(
                        read[0]["metadata"]["name"], read[1], self.namespace
                    ),
                    restarted,
                )
            )
        calls += current + previous
        for pod, call in zip(pods, current, strict=True):
            obs.logs[str(pod["metadata"]["name"])] = call.raw
        for (pod, _), call in zip(restarted, previous, strict=True):
            name = str(pod["metadata"]["name"])
            obs.logs[name] = f"{obs.logs[name]}\n{call.raw}"
        if self.traces is None:
            return
        for service in _failing_services(obs.metrics.get("error_rate", ""))[:3]:
            call = self.traces.service(service)
            calls.append(call)
            obs.traces[service] = call.raw if call.ok else ""


def _restarted(pod: Obj) -> list[str]:
    """The pod's containers that have restarted: their previous run's logs say why."""
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    return [str(s.get("name")) for s in statuses if s.get("restartCount")]


def _failing_services(table: str) -> list[str]:
    out = []
    for line in table.splitlines():
        labels, _, value = line.rpartition("  ")
        try:
            if float(value) > 0.05 and labels.startswith("service="):
                out.append(labels.split("=", 1)[1].split()[0])
        except ValueError:
            continue
    return out


def finding(signals: list[Signal], calls: list[ToolCall] | None = None) -> Finding:
    """The finding the signals support: the strongest one names the fault; with the calls
    that were made, each piece of evidence names the commands that showed it."""
    strong = [s for s in signals if s.score >= DETECTED_AT and s.component]
    if not strong:
        return Finding(detected=False, root_cause="no fault signal", confidence=0.6)
    top = strong[0]
    typed = next((s for s in strong if s.system_level and s.component == top.component), top)
    # The loudest signal is often a symptom (callers blaming the component); the fix comes
    # from the strongest signal about the same component that knows its cause.
    fixing = next((s for s in strong if s.fixes and s.component == top.component), top)
    return Finding(
        detected=True,
        faulty_components=[str(top.component)],
        system_level=typed.system_level,
        fault_type=typed.fault_type,
        root_cause=top.summary,
        evidence=[
            Evidence(
                summary=s.summary,
                source=sources(s, calls or []),
                excerpt="; ".join(s.evidence),
            )
            for s in strong[:3]
        ],
        confidence=top.score,
        proposed_actions=list(fixing.fixes),
    )
