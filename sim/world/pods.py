"""A kubelet's record of one pod (its containers' runs, kept after deletion for telemetry)
and the PodStatus it reports from it: phase, conditions, container statuses."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sim.clock import rfc3339
from sim.world.lifecycle import ContainerRun

Obj = dict[str, Any]


@dataclass
class PodRun:
    """A kubelet's record of one pod it runs."""

    uid: str
    node: str
    started: datetime
    init: list[ContainerRun]
    main: list[ContainerRun]
    pod: Obj  # the pod as last seen, kept for telemetry after it is gone
    transitions: dict[str, tuple[str, datetime]] = field(default_factory=dict)
    deleted: datetime | None = None
    evicted: tuple[datetime, str] | None = None  # when, and the kubelet's message

    def runs(self) -> list[ContainerRun]:
        return self.init + self.main

    def init_done(self) -> bool:
        return all(
            r.current is not None
            and r.current.fate.kind == "exit"
            and r.current.fate.exit_code == 0
            and r.exit_handled
            for r in self.init
        )


def pod_status(node_ip: str, pod: Obj, run: PodRun, t: datetime) -> Obj:
    """The status a kubelet reports for the pod at `t`."""
    spec = pod.get("spec") or {}
    policy = spec.get("restartPolicy", "Always")
    meta = pod["metadata"]
    old = pod.get("status") or {}
    init_statuses: list[Obj] = [
        c.status(t, meta["name"], meta["namespace"], meta["uid"], "Never") for c in run.init
    ]
    for item in init_statuses:
        if "terminated" in item["state"] and item["state"]["terminated"].get("exitCode") == 0:
            item["state"]["terminated"]["reason"] = "Completed"
    if not run.init_done():
        main_statuses: list[Obj] = [
            {
                "name": c.name,
                "image": c.image,
                "imageID": "",
                "ready": False,
                "restartCount": 0,
                "started": False,
                "lastState": {},
                "state": {"waiting": {"reason": "PodInitializing"}},
            }
            for c in run.main
        ]
    else:
        main_statuses = [
            c.status(t, meta["name"], meta["namespace"], meta["uid"], policy) for c in run.main
        ]
    ready = run.init_done() and all(c.ready(t) for c in run.main)
    started = any(c.attempts for c in run.main)
    terminal = [s for s in main_statuses if "terminated" in s["state"]]
    if started and len(terminal) == len(main_statuses) and policy != "Always":
        codes = [s["state"]["terminated"]["exitCode"] for s in terminal]
        phase = "Succeeded" if all(code == 0 for code in codes) else "Failed"
    elif started:
        phase = "Running"
    else:
        phase = "Pending"
    conditions = [
        _condition(run, "PodReadyToStartContainers", True, run.started, t),
        _condition(run, "Initialized", run.init_done(), run.started, t),
        _condition(run, "Ready", ready, run.started, t),
        _condition(run, "ContainersReady", ready, run.started, t),
        _condition(run, "PodScheduled", True, run.started, t),
    ]
    if run.evicted is not None:
        phase = "Failed"
    status: Obj = {
        "phase": phase,
        "conditions": conditions,
        "hostIP": node_ip,
        "hostIPs": [{"ip": node_ip}],
        "podIP": old.get("podIP"),
        "podIPs": old.get("podIPs"),
        "startTime": rfc3339(run.started),
        "containerStatuses": main_statuses,
        "qosClass": old.get("qosClass", "BestEffort"),
    }
    if init_statuses:
        status["initContainerStatuses"] = init_statuses
    if run.evicted is not None:
        status |= {"reason": "Evicted", "message": run.evicted[1]}
    return {k: v for k, v in status.items() if v is not None}


def _condition(run: PodRun, kind: str, value: bool, since: datetime, t: datetime) -> Obj:
    text = "True" if value else "False"
    previous = run.transitions.get(kind)
    if previous is None or previous[0] != text:
        run.transitions[kind] = (text, t if previous is not None else since)
    condition: Obj = {
        "type": kind,
        "status": text,
        "lastProbeTime": None,
        "lastTransitionTime": rfc3339(run.transitions[kind][1]),
    }
    if not value and kind in ("Ready", "ContainersReady"):
        condition["reason"] = "ContainersNotReady"
    return condition
