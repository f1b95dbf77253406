"""Analyzers over the namespace's objects: Services whose targetPort nothing listens on,
workloads scaled to nothing, pods Pending (and why the scheduler says so), crash loops and
their last termination reason, pods that never become Ready, images and commands unlike
their siblings' (siblings.py), and Chaos Mesh experiments in place (chaos.py)."""

from __future__ import annotations

import json

from agents.analyzers.chaos import chaos_signals
from agents.analyzers.observations import Obj, Observations
from agents.analyzers.siblings import odd_ones_out
from agents.analyzers.volumes import missing_class, reclaim_fixes
from agents.models import ProposedAction, Signal


def workload_signals(obs: Observations) -> list[Signal]:
    return (
        _target_ports(obs)
        + _scaled_to_zero(obs)
        + _pending(obs)
        + _containers(obs)
        + odd_ones_out(obs)
        + chaos_signals(obs)
    )


def _target_ports(obs: Observations) -> list[Signal]:
    out = []
    for svc in obs.items("services"):
        pods = obs.pods_selected(svc)
        ports = {
            p.get("containerPort")
            for pod in pods
            for c in pod["spec"].get("containers") or []
            for p in c.get("ports") or []
        }
        if not pods or not ports:
            continue
        name = svc["metadata"]["name"]
        for i, port in enumerate((svc.get("spec") or {}).get("ports") or []):
            target = port.get("targetPort", port.get("port"))
            if isinstance(target, int) and target not in ports:
                right = port.get("port") if port.get("port") in ports else min(ports)
                patch = [{"op": "replace", "path": f"/spec/ports/{i}/targetPort", "value": right}]
                # Declared containerPorts are only documentation: without callers failing on
                # this Service it is a hint, not a fault.
                out.append(
                    Signal(
                        analyzer="service_target_port",
                        score=0.97 if obs.blamed.get(name) else 0.45,
                        component=name,
                        summary=f"Service {name} targets port {target}; its pods listen on "
                        f"{sorted(ports)}",
                        evidence=[f"svc/{name} targetPort {target}", f"containerPorts {ports}"],
                        system_level="Virtualization",
                        fault_type="Misconfiguration",
                        fixes=[
                            obs.fix(
                                "patch",
                                "service",
                                name,
                                "--type",
                                "json",
                                "-p",
                                json.dumps(patch),
                                why=f"point targetPort at {right}",
                            )
                        ],
                    )
                )
    return out


def _scaled_to_zero(obs: Observations) -> list[Signal]:
    out = []
    selected = {
        tuple(sorted(((s.get("spec") or {}).get("selector") or {}).items()))
        for s in obs.items("services")
    }
    for d in obs.items("deployments"):
        if (d.get("spec") or {}).get("replicas", 1) != 0:
            continue
        labels = ((d["spec"].get("template") or {}).get("metadata") or {}).get("labels") or {}
        served = any(sel and all(labels.get(k) == v for k, v in sel) for sel in selected)
        name = d["metadata"]["name"]
        out.append(
            Signal(
                analyzer="scaled_to_zero",
                score=0.9 if served else 0.5,
                component=name,
                summary=f"Deployment {name} has 0 replicas"
                + ("; its Service has no endpoints" if served else ""),
                evidence=[f"deploy/{name} spec.replicas 0"],
                system_level="Virtualization",
                fault_type="Operation Error",
                fixes=[
                    obs.fix(
                        "scale",
                        f"deployment/{name}",
                        "--replicas=1",
                        "--current-replicas=0",
                        why="bring the service back",
                    )
                ],
            )
        )
    return out


def _events_for(obs: Observations, pod: str) -> list[Obj]:
    return [e for e in obs.items("events") if (e.get("involvedObject") or {}).get("name") == pod]


def _pending(obs: Observations) -> list[Signal]:
    out = []
    for pod in obs.items("pods"):
        if (pod.get("status") or {}).get("phase") != "Pending":
            continue
        name, owner = pod["metadata"]["name"], obs.owner(pod)
        messages = [e.get("message", "") for e in _events_for(obs, name)]
        text = " | ".join(m for m in messages if m)[:300]
        if any("node affinity/selector" in m for m in messages):
            selector = pod["spec"].get("nodeSelector") or {}
            out.append(
                Signal(
                    analyzer="unschedulable",
                    score=0.92,
                    component=owner,
                    summary=f"{name} cannot be scheduled: no node matches {selector}",
                    evidence=[text],
                    system_level="Virtualization",
                    fault_type="Dependency Problem",
                    fixes=[
                        obs.fix(
                            "patch",
                            f"deployment/{owner}",
                            "--type",
                            "json",
                            "-p",
                            json.dumps(
                                [{"op": "remove", "path": "/spec/template/spec/nodeSelector"}]
                            ),
                            why="let the scheduler place it",
                        )
                    ],
                )
            )
        elif any("unbound" in m and "PersistentVolumeClaim" in m for m in messages) and (
            missing := missing_class(obs, pod)
        ):
            claim, why = missing
            out.append(
                Signal(
                    analyzer="storage_class_missing",
                    score=0.9,
                    component=owner,
                    summary=f"{name} waits for claim {claim}, which nothing can provision: {why}",
                    evidence=[why, text],
                    system_level="Virtualization",
                    fault_type="Network/Storage Issue",
                    # The revision before the claim was swapped in mounted a bound one.
                    fixes=_undo(obs, owner),
                )
            )
        elif any("unbound" in m and "PersistentVolumeClaim" in m for m in messages):
            out.append(
                Signal(
                    analyzer="unbound_claim",
                    score=0.85,
                    component=owner,
                    summary=f"{name} waits for a PersistentVolumeClaim that is not bound",
                    evidence=[text],
                    system_level="Virtualization",
                    fault_type="Operation Error",
                    fixes=reclaim_fixes(obs),
                )
            )
        elif messages:
            out.append(
                Signal(
                    analyzer="pending",
                    score=0.6,
                    component=owner,
                    summary=f"{name} is Pending",
                    evidence=[text],
                )
            )
    return out


def _containers(obs: Observations) -> list[Signal]:
    out = []
    for pod in obs.items("pods"):
        name, owner = pod["metadata"]["name"], obs.owner(pod)
        for status in (pod.get("status") or {}).get("containerStatuses") or []:
            waiting = (status.get("state") or {}).get("waiting") or {}
            last = (status.get("lastState") or {}).get("terminated") or {}
            reason = waiting.get("reason")
            if last.get("reason") == "OOMKilled":
                out.append(
                    Signal(
                        analyzer="oom_killed",
                        score=0.93,
                        component=owner,
                        summary=f"{name} is OOMKilled (exit 137) under its memory limit",
                        evidence=[f"lastState.terminated.reason OOMKilled ({status['name']})"],
                        system_level="Virtualization",
                        fault_type="Misconfiguration",
                        fixes=[
                            obs.fix(
                                "set",
                                "resources",
                                f"deployment/{owner}",
                                f"--containers={status['name']}",
                                "--limits=memory=512Mi",
                                why="give it room for its working set",
                            )
                        ],
                    )
                )
            elif reason in ("ImagePullBackOff", "ErrImagePull"):
                out.append(
                    Signal(
                        analyzer="image_pull",
                        score=0.9,
                        component=owner,
                        summary=f"{name} cannot pull {status.get('image')}",
                        evidence=[waiting.get("message", "")[:200]],
                        system_level="Virtualization",
                        fault_type="Operation Error",
                        fixes=_undo(obs, owner),
                    )
                )
            elif reason == "CrashLoopBackOff":
                stuck = _rollout_stuck(obs, owner)
                out.append(
                    Signal(
                        analyzer="crash_loop",
                        score=0.7,
                        component=owner,
                        summary=f"{name} crash-loops (last exit {last.get('exitCode')}, "
                        f"{status.get('restartCount')} restarts)"
                        + (
                            "; its rollout is stuck, the previous revision still serves"
                            if stuck
                            else ""
                        ),
                        evidence=[f"{status['name']}: {last.get('reason')}"],
                        # Most crash loops at start are the program refusing its config; one
                        # that only the latest revision has is a rollout that should not have
                        # gone out (an operation error, undone by rolling back).
                        system_level="Application",
                        fault_type="Operation Error" if stuck else "Misconfiguration",
                        fixes=_undo(obs, owner),
                    )
                )
            elif not status.get("ready") and (status.get("state") or {}).get("running"):
                out.append(
                    Signal(
                        analyzer="not_ready",
                        score=0.6,
                        component=owner,
                        summary=f"{name} runs but is not Ready",
                        evidence=[status["name"]],
                        system_level="Virtualization",
                        fault_type="Misconfiguration",
                        fixes=_undo(obs, owner),
                    )
                )
    return out


def _rollout_stuck(obs: Observations, deployment: str) -> bool:
    """More than one revision still runs pods and an older one has them ready: the new
    revision does not come up, the old one keeps serving (as `rollout status` waits)."""
    live = [
        rs
        for rs in obs.items("replicasets")
        if any(
            ref.get("kind") == "Deployment" and ref.get("name") == deployment
            for ref in rs["metadata"].get("ownerReferences") or []
        )
        and (rs.get("spec") or {}).get("replicas")
    ]
    return len(live) > 1 and any((rs.get("status") or {}).get("readyReplicas") for rs in live)


def _undo(obs: Observations, deployment: str) -> list[ProposedAction]:
    """Roll back the latest rollout when there is an earlier revision to go back to."""
    revisions = [
        rs
        for rs in obs.items("replicasets")
        if any(
            ref.get("kind") == "Deployment" and ref.get("name") == deployment
            for ref in rs["metadata"].get("ownerReferences") or []
        )
    ]
    if len(revisions) < 2:
        return []
    return [
        obs.fix(
            "rollout",
            "undo",
            f"deployment/{deployment}",
            why="back to the revision that worked before the latest rollout",
        )
    ]
