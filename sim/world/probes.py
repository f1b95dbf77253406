"""Readiness and liveness probes, run by the kubelet against what the program serves."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sim.world.lifecycle import Attempt, ContainerRun
from sim.world.software.base import RunContext

if TYPE_CHECKING:
    from sim.world.runtime import World

Obj = dict[str, Any]


def _timing(probe: Obj) -> tuple[float, float, int]:
    return (
        float(probe.get("initialDelaySeconds", 0)),
        float(probe.get("periodSeconds", 10)),
        int(probe.get("failureThreshold", 3)),
    )


def _passes(
    world: World, pod: Obj, spec: Obj, probe: Obj, attempt: Attempt, t: datetime
) -> tuple[bool, str]:
    """(passed, failure message) for a tcpSocket/httpGet/grpc probe; exec probes pass."""
    action = probe.get("httpGet") or probe.get("tcpSocket") or probe.get("grpc")
    if not action:
        return True, ""
    port = action.get("port")
    if isinstance(port, str):
        port = next(
            (p["containerPort"] for p in spec.get("ports") or [] if p.get("name") == port), 0
        )
    program = world.catalog.program_for(spec)
    ctx = RunContext(world, pod, spec, t, attempt, attempt.restart)
    if program is not None and port in program.serving(ctx):
        return True, ""
    ip = (pod.get("status") or {}).get("podIP", "")
    refused = f"dial tcp {ip}:{port}: connect: connection refused"
    if "httpGet" in probe:
        return False, f'Get "http://{ip}:{port}{action.get("path", "/")}": {refused}'
    return False, refused


def wake_times(c: ContainerRun) -> list[datetime]:
    """When a readiness probe first runs, and when a failing liveness probe kills."""
    out = [t for t in (c.readiness_due, c.liveness_due) if t is not None]
    if c.liveness_failing_since is not None:
        out.append(c.liveness_failing_since + timedelta(seconds=c.liveness_kill_after))
    return out


def run_probes(world: World, pod: Obj, c: ContainerRun, spec: Obj, t: datetime) -> bool:
    """Probe a running container at `t`; record Unhealthy events, flip readiness, and kill
    it after `failureThreshold` liveness failures. True if its state changed."""
    attempt = c.current
    if attempt is None or not attempt.running_at(t):
        c.readiness_failing_since = c.liveness_failing_since = None
        c.readiness_due = c.liveness_due = None
        return False
    host = pod["spec"].get("nodeName")
    field_path = f"spec.containers{{{c.name}}}"
    changed = False
    readiness = spec.get("readinessProbe")
    if readiness:
        delay, period, _ = _timing(readiness)
        ok, message = _passes(world, pod, spec, readiness, attempt, t)
        first_run = attempt.started + timedelta(seconds=delay)
        c.readiness_due = first_run if t < first_run else None
        due = t >= first_run
        if due and not ok:
            c.readiness_failing_since = c.readiness_failing_since or t
            count = int((t - c.readiness_failing_since).total_seconds() // period) + 1
            world.events.emit(
                pod,
                "Unhealthy",
                f"Readiness probe failed: {message}",
                t,
                type_="Warning",
                host=host,
                field_path=field_path,
                count=count,
                absolute=True,
            )
        elif ok:
            c.readiness_failing_since = None
        if (due and ok) != c.probe_ready:
            c.probe_ready, changed = due and ok, True
            c.probe_history.append((t, c.probe_ready))
    liveness = spec.get("livenessProbe")
    if not liveness:
        return changed
    delay, period, threshold = _timing(liveness)
    ok, message = _passes(world, pod, spec, liveness, attempt, t)
    first_run = attempt.started + timedelta(seconds=delay)
    c.liveness_due = first_run if t < first_run else None
    if ok or t < first_run:
        c.liveness_failing_since = None
        return changed
    c.liveness_failing_since = c.liveness_failing_since or t
    c.liveness_kill_after = (threshold - 1) * period
    failing = (t - c.liveness_failing_since).total_seconds()
    world.events.emit(
        pod,
        "Unhealthy",
        f"Liveness probe failed: {message}",
        t,
        type_="Warning",
        host=host,
        field_path=field_path,
        count=min(int(failing // period) + 1, threshold),
        absolute=True,
    )
    if failing < c.liveness_kill_after:
        return changed
    world.events.emit(
        pod,
        "Killing",
        f"Container {c.name} failed liveness probe, will be restarted",
        t,
        host=host,
        field_path=field_path,
    )
    attempt.kill(t)
    c.liveness_failing_since = None
    return True
