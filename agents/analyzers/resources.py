"""CPU throttling and why: a container throttled in most CFS periods is short of CPU, and
what it is short of decides the fix. An autoscaler pinned at its maxReplicas is capped too
low; a limit far below what its siblings get (or below any program's needs) is a typo-sized
misconfiguration; an ordinary limit swamped by a jump in requests is load nobody scaled for.
Each fix names the object and the new size."""

from __future__ import annotations

import json
import math
from collections import Counter

from agents.analyzers.observations import Obj, Observations, metric_row
from agents.models import ProposedAction, Signal

THROTTLED = 0.5  # share of CFS periods throttled that counts as starved
TINY_CPU = 0.1  # cores: a limit below this starves any service that serves traffic
SURGE = 3.0  # requests now against ten minutes ago that count as a surge
MAX_REPLICAS = 20  # as the default policy's limits.max_replicas
MAX_STEP = 10  # as the default policy's limits.max_replica_change


def cpu_cores(quantity: object) -> float | None:
    """A Kubernetes CPU quantity in cores: "2m" -> 0.002, "1" -> 1.0."""
    text = str(quantity or "").strip()
    try:
        return float(text[:-1]) / 1000 if text.endswith("m") else float(text)
    except ValueError:
        return None


def _quantity(cores: float) -> str:
    return f"{round(cores * 1000)}m"


def throttling_signals(obs: Observations) -> list[Signal]:
    out: list[Signal] = []
    seen: set[str] = set()
    owners = {p["metadata"]["name"]: obs.owner(p) for p in obs.items("pods")}
    for line in obs.metrics.get("throttling", "").splitlines():
        labels, value = metric_row(line)
        if value is None or value <= THROTTLED or "pod" not in labels:
            continue
        owner = owners.get(labels["pod"], labels["pod"].rsplit("-", 2)[0])
        if owner in seen:
            continue
        seen.add(owner)
        container = labels.get("container", "")
        evidence = [f"{container} in {labels['pod']} throttled {value:.0%} of periods"]
        out.append(_diagnose(obs, owner, container, evidence))
    return out


def _deployment(obs: Observations, name: str) -> Obj | None:
    return next((d for d in obs.items("deployments") if d["metadata"]["name"] == name), None)


def _cpu_limit(container: Obj) -> float | None:
    return cpu_cores(((container.get("resources") or {}).get("limits") or {}).get("cpu"))


def _usual_limit(obs: Observations, owner: str) -> float | None:
    """The CPU limit most of the other deployments' containers have, if they have one."""
    limits = Counter(
        _cpu_limit(c)
        for d in obs.items("deployments")
        if d["metadata"]["name"] != owner
        for c in d["spec"]["template"]["spec"].get("containers") or []
    )
    limits.pop(None, None)
    return limits.most_common(1)[0][0] if limits else None


def _request_jump(obs: Observations, owner: str) -> float | None:
    for line in obs.metrics.get("request_change", "").splitlines():
        labels, value = metric_row(line)
        if labels.get("service") == owner and value is not None:
            return value
    return None


def _diagnose(obs: Observations, owner: str, container: str, evidence: list[str]) -> Signal:
    hpa = _maxed_autoscaler(obs, owner)
    if hpa is not None:
        return _hpa_signal(obs, owner, hpa, evidence)
    deployment = _deployment(obs, owner)
    spec = next(
        (
            c
            for c in (deployment or {})
            .get("spec", {})
            .get("template", {})
            .get("spec", {})
            .get("containers")
            or []
            if c.get("name") == container
        ),
        None,
    )
    limit = _cpu_limit(spec) if spec else None
    usual = _usual_limit(obs, owner)
    jump = _request_jump(obs, owner)
    if limit is not None and (limit < TINY_CPU or (usual and limit <= usual / 10)):
        wanted = max(usual or 1.0, 1.0)
        return Signal(
            analyzer="cpu_limit_too_low",
            score=0.88,
            component=owner,
            summary=f"{owner}'s CPU limit {_quantity(limit)} starves it (CFS throttling); "
            + (f"its siblings get {_quantity(usual)}" if usual else "no sibling is capped"),
            evidence=[*evidence, f"deploy/{owner} {container} limits.cpu {_quantity(limit)}"],
            system_level="Virtualization",
            fault_type="Misconfiguration",
            fixes=[_set_cpu(obs, owner, container, wanted)],
        )
    if jump is not None and jump >= SURGE and deployment is not None:
        replicas = int((deployment.get("spec") or {}).get("replicas") or 1)
        wanted_replicas = min(replicas * math.ceil(jump), replicas + MAX_STEP, MAX_REPLICAS)
        return Signal(
            analyzer="load_surge",
            score=0.85,
            component=owner,
            summary=f"{owner} gets {jump:.0f}x the requests of ten minutes ago on "
            f"{replicas} replica(s): throttled at its limit",
            evidence=[*evidence, f"{owner} request rate x{jump:.1f}"],
            system_level="Virtualization",
            fault_type="Operation Error",
            fixes=[
                obs.fix(
                    *("scale", f"deployment/{owner}", f"--replicas={wanted_replicas}"),
                    f"--current-replicas={replicas}",
                    why="spread the surge over more pods",
                )
            ],
        )
    fixes = [_set_cpu(obs, owner, container, 2 * limit)] if limit and container else []
    return Signal(
        analyzer="cpu_throttling",
        score=0.8,
        component=owner,
        summary=f"{container} of {owner} is throttled at its CPU limit",
        evidence=evidence,
        system_level="Virtualization",
        fault_type="Misconfiguration",
        fixes=fixes,
    )


def _set_cpu(obs: Observations, owner: str, container: str, cores: float) -> ProposedAction:
    return obs.fix(
        *("set", "resources", f"deployment/{owner}", f"--containers={container}"),
        f"--limits=cpu={_quantity(cores)}",
        why=f"room for its demand: a CPU limit of {_quantity(cores)}",
    )


def _maxed_autoscaler(obs: Observations, owner: str) -> Obj | None:
    for hpa in obs.items("hpa"):
        spec, status = hpa.get("spec") or {}, hpa.get("status") or {}
        if (spec.get("scaleTargetRef") or {}).get("name") != owner:
            continue
        limited = any(
            c.get("type") == "ScalingLimited" and c.get("status") == "True"
            for c in status.get("conditions") or []
        )
        if limited or int(status.get("currentReplicas") or 0) >= int(spec.get("maxReplicas") or 1):
            return hpa
    return None


def _wanted_replicas(hpa: Obj) -> int:
    """What the autoscaler would run uncapped: replicas x utilization / target."""
    spec, status = hpa.get("spec") or {}, hpa.get("status") or {}
    current = int(status.get("currentReplicas") or spec.get("maxReplicas") or 1)
    target = next(
        (
            (m.get("resource") or {}).get("target", {}).get("averageUtilization")
            for m in spec.get("metrics") or []
            if (m.get("resource") or {}).get("name") == "cpu"
        ),
        None,
    )
    used = next(
        (
            (m.get("resource") or {}).get("current", {}).get("averageUtilization")
            for m in status.get("currentMetrics") or []
            if (m.get("resource") or {}).get("name") == "cpu"
        ),
        None,
    )
    if target and used:
        return math.ceil(current * float(used) / float(target))
    return 2 * current


def _hpa_signal(obs: Observations, owner: str, hpa: Obj, evidence: list[str]) -> Signal:
    spec = hpa.get("spec") or {}
    cap = int(spec.get("maxReplicas") or 1)
    wanted = max(cap + 1, min(_wanted_replicas(hpa), MAX_REPLICAS))
    name = hpa["metadata"]["name"]
    return Signal(
        analyzer="autoscaler_maxed_out",
        score=0.9,
        component=owner,
        summary=f"HPA {name} is pinned at maxReplicas {cap} while {owner} is throttled; "
        f"it wants about {wanted}",
        evidence=[*evidence, f"hpa/{name} maxReplicas {cap}"],
        system_level="Virtualization",
        fault_type="Misconfiguration",
        fixes=[
            obs.fix(
                *("patch", "hpa", name, "--type", "merge", "-p"),
                json.dumps({"spec": {"maxReplicas": wanted}}),
                why=f"let the autoscaler follow the load up to {wanted} replicas",
            )
        ],
    )
