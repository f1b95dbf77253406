"""Probes that misjudge a healthy program: a liveness probe that gives up before a slow
starter listens (the kubelet kills it on every start: Unhealthy events, then a crash loop
with no error of the program's own), and a readiness probe aimed at a port the container
does not serve (Running, never Ready, no endpoints). Both are the pod spec's fault, not the
program's, so the fix is the probe: room to start, or the port the Service sends traffic to."""

from __future__ import annotations

import json
from typing import Any

from agents.analyzers.observations import Obj, Observations
from agents.models import ProposedAction, Signal

STARTUP_ROOM = {"initialDelaySeconds": 30, "periodSeconds": 10, "failureThreshold": 3}


def probe_signals(obs: Observations) -> list[Signal]:
    out: list[Signal] = []
    seen: set[tuple[str, str]] = set()
    for pod in obs.items("pods"):
        name, owner = pod["metadata"]["name"], obs.owner(pod)
        messages = [
            str(e.get("message", ""))
            for e in obs.items("events")
            if (e.get("involvedObject") or {}).get("name") == name
        ]
        for status in (pod.get("status") or {}).get("containerStatuses") or []:
            container = status["name"]
            if (owner, container) in seen:
                continue
            if status.get("restartCount") and any("Liveness probe failed" in m for m in messages):
                seen.add((owner, container))
                out.append(_liveness(obs, owner, container, messages))
            elif (
                not status.get("ready")
                and (status.get("state") or {}).get("running")
                and any("Readiness probe failed" in m for m in messages)
            ):
                signal = _readiness(obs, owner, container, messages)
                if signal is not None:
                    seen.add((owner, container))
                    out.append(signal)
    return out


def _deployment(obs: Observations, name: str) -> Obj | None:
    return next((d for d in obs.items("deployments") if d["metadata"]["name"] == name), None)


def _container_index(deployment: Obj, container: str) -> tuple[int, Obj] | None:
    containers = deployment["spec"]["template"]["spec"].get("containers") or []
    return next(((i, c) for i, c in enumerate(containers) if c.get("name") == container), None)


def _patch(
    obs: Observations, deployment: str, ops: list[dict[str, Any]], why: str
) -> ProposedAction:
    return obs.fix(
        "patch", f"deployment/{deployment}", "--type", "json", "-p", json.dumps(ops), why=why
    )


def _liveness(obs: Observations, owner: str, container: str, messages: list[str]) -> Signal:
    failed = next(m for m in messages if "Liveness probe failed" in m)
    fixes = []
    deployment = _deployment(obs, owner)
    found = _container_index(deployment, container) if deployment else None
    probe = (found[1].get("livenessProbe") or {}) if found else {}
    if found and probe:
        path = f"/spec/template/spec/containers/{found[0]}/livenessProbe"
        # Never shorten what is there: only more room to start than the probe gave.
        ops = [
            {"op": "add", "path": f"{path}/{key}", "value": max(value, int(probe.get(key) or 0))}
            for key, value in STARTUP_ROOM.items()
        ]
        fixes.append(_patch(obs, owner, ops, "let it listen before the kubelet judges it"))
    budget = int(probe.get("initialDelaySeconds") or 0) + int(
        probe.get("periodSeconds") or 10
    ) * int(probe.get("failureThreshold") or 3)
    return Signal(
        analyzer="liveness_probe_kills",
        score=0.9,
        component=owner,
        summary=f"{owner}'s liveness probe kills {container} before it listens "
        f"(it allows ~{budget}s to start)",
        evidence=[failed[:200], f"livenessProbe {json.dumps(probe)}"],
        system_level="Virtualization",
        fault_type="Misconfiguration",
        fixes=fixes,
    )


def _served_ports(obs: Observations, owner: str, container: Obj) -> list[int]:
    """Ports traffic is sent to: the Services' targetPorts for these pods, else declared ones."""
    pods = [p for p in obs.items("pods") if obs.owner(p) == owner]
    declared = {p.get("name"): p.get("containerPort") for p in container.get("ports") or []}
    targets: list[int] = []
    for svc in obs.items("services"):
        if not any(p in obs.pods_selected(svc) for p in pods):
            continue
        for port in (svc.get("spec") or {}).get("ports") or []:
            target = port.get("targetPort", port.get("port"))
            target = declared.get(target, target) if isinstance(target, str) else target
            if isinstance(target, int):
                targets.append(target)
    return targets or [p for p in declared.values() if isinstance(p, int)]


def _readiness(obs: Observations, owner: str, container: str, messages: list[str]) -> Signal | None:
    deployment = _deployment(obs, owner)
    found = _container_index(deployment, container) if deployment else None
    if found is None:
        return None
    index, spec = found
    probe = spec.get("readinessProbe") or {}
    handler = next((k for k in ("tcpSocket", "httpGet", "grpc") if k in probe), None)
    port = (probe.get(handler) or {}).get("port") if handler else None
    served = _served_ports(obs, owner, spec)
    if handler is None or not served or port in served:
        return None  # the probe asks the right port: the program itself is not ready
    path = f"/spec/template/spec/containers/{index}/readinessProbe/{handler}/port"
    failed = next(m for m in messages if "Readiness probe failed" in m)
    return Signal(
        analyzer="readiness_probe_port",
        score=0.9,
        component=owner,
        summary=f"{owner}'s readiness probe checks port {port}; it serves {sorted(set(served))}: "
        "never Ready, so its Service has no endpoints",
        evidence=[failed[:200], f"readinessProbe {json.dumps(probe)}"],
        system_level="Virtualization",
        fault_type="Misconfiguration",
        fixes=[
            _patch(
                obs,
                owner,
                [{"op": "replace", "path": path, "value": served[0]}],
                f"probe the port it serves ({served[0]})",
            )
        ],
    )
