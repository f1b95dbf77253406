"""Rows of the workload kinds: Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob,
HorizontalPodAutoscaler."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sim.clock import parse_time
from sim.kube.rows.format import age, format_labels, format_selector, human_duration

Obj = dict[str, Any]


def _containers(spec: Obj) -> tuple[str, str]:
    containers = spec.get("containers") or []
    return (
        ",".join(c.get("name", "") for c in containers),
        ",".join(c.get("image", "") for c in containers),
    )


# -- per-kind printers -----------------------------------------------------------------------


def deployment(d: Obj, now: datetime) -> list[Any]:
    spec, status = d.get("spec") or {}, d.get("status") or {}
    names, images = _containers((spec.get("template") or {}).get("spec") or {})
    selector = format_selector(spec.get("selector"))
    return [
        d["metadata"]["name"],
        f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 1)}",
        status.get("updatedReplicas", 0),
        status.get("availableReplicas", 0),
        age(d["metadata"].get("creationTimestamp"), now),
        names,
        images,
        "" if selector == "<none>" else selector,
    ]


def replicaset(rs: Obj, now: datetime) -> list[Any]:
    spec, status = rs.get("spec") or {}, rs.get("status") or {}
    names, images = _containers((spec.get("template") or {}).get("spec") or {})
    return [
        rs["metadata"]["name"],
        spec.get("replicas", 1),
        status.get("replicas", 0),
        status.get("readyReplicas", 0),
        age(rs["metadata"].get("creationTimestamp"), now),
        names,
        images,
        format_selector(spec.get("selector")),
    ]


def statefulset(s: Obj, now: datetime) -> list[Any]:
    spec, status = s.get("spec") or {}, s.get("status") or {}
    names, images = _containers((spec.get("template") or {}).get("spec") or {})
    return [
        s["metadata"]["name"],
        f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 1)}",
        age(s["metadata"].get("creationTimestamp"), now),
        names,
        images,
    ]


def daemonset(d: Obj, now: datetime) -> list[Any]:
    spec, status = d.get("spec") or {}, d.get("status") or {}
    template_spec = (spec.get("template") or {}).get("spec") or {}
    names, images = _containers(template_spec)
    return [
        d["metadata"]["name"],
        status.get("desiredNumberScheduled", 0),
        status.get("currentNumberScheduled", 0),
        status.get("numberReady", 0),
        status.get("updatedNumberScheduled", 0),
        status.get("numberAvailable", 0),
        format_labels(template_spec.get("nodeSelector")),
        age(d["metadata"].get("creationTimestamp"), now),
        names,
        images,
        format_selector(spec.get("selector")),
    ]


def job(j: Obj, now: datetime) -> list[Any]:
    spec, status = j.get("spec") or {}, j.get("status") or {}
    conditions = {c["type"]: c.get("status") for c in status.get("conditions") or []}
    state = "Running"
    for kind in ("Complete", "Failed"):
        if conditions.get(kind) == "True":
            state = kind
            break
    else:
        if j["metadata"].get("deletionTimestamp"):
            state = "Terminating"
        elif conditions.get("Suspended") == "True":
            state = "Suspended"
    succeeded = status.get("succeeded", 0)
    if spec.get("completions") is not None:
        completions = f"{succeeded}/{spec['completions']}"
    elif spec.get("parallelism", 1) > 1:
        completions = f"{succeeded}/1 of {spec['parallelism']}"
    else:
        completions = f"{succeeded}/1"
    duration = ""
    if status.get("startTime"):
        end = parse_time(status["completionTime"]) if status.get("completionTime") else now
        duration = human_duration((end - parse_time(status["startTime"])).total_seconds())
    names, images = _containers((spec.get("template") or {}).get("spec") or {})
    return [
        j["metadata"]["name"],
        state,
        completions,
        duration,
        age(j["metadata"].get("creationTimestamp"), now),
        names,
        images,
        format_selector(spec.get("selector")),
    ]


def cronjob(c: Obj, now: datetime) -> list[Any]:
    spec, status = c.get("spec") or {}, c.get("status") or {}
    job_spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    names, images = _containers((job_spec.get("template") or {}).get("spec") or {})
    suspend = spec.get("suspend")
    last = status.get("lastScheduleTime")
    return [
        c["metadata"]["name"],
        spec.get("schedule", ""),
        spec.get("timeZone") or "<none>",
        "<unset>" if suspend is None else str(bool(suspend)),
        len(status.get("active") or []),
        age(last, now) if last else "<none>",
        age(c["metadata"].get("creationTimestamp"), now),
        names,
        images,
        format_selector(job_spec.get("selector")),
    ]


def hpa(h: Obj, now: datetime) -> list[Any]:
    spec, status = h.get("spec") or {}, h.get("status") or {}
    ref = spec.get("scaleTargetRef") or {}
    targets = []
    current = {
        m.get("resource", {}).get("name"): m.get("resource", {}).get("current", {})
        for m in status.get("currentMetrics") or []
    }
    for metric in spec.get("metrics") or []:
        resource = metric.get("resource") or {}
        name = resource.get("name", "")
        target = resource.get("target") or {}
        if target.get("type") == "Utilization":
            cur = current.get(name, {}).get("averageUtilization")
            cur_text = f"{cur}%" if cur is not None else "<unknown>"
            targets.append(f"{name}: {cur_text}/{target.get('averageUtilization', '<auto>')}%")
        else:
            cur = current.get(name, {}).get("averageValue", "<unknown>")
            targets.append(f"{name}: {cur}/{target.get('averageValue', '<auto>')}")
    text = ", ".join(targets[:2]) or "<none>"
    if len(targets) > 2:
        text += f" + {len(targets) - 2} more..."
    return [
        h["metadata"]["name"],
        f"{ref.get('kind')}/{ref.get('name')}",
        text,
        str(spec.get("minReplicas", "<unset>")),
        spec.get("maxReplicas", 0),
        status.get("currentReplicas", 0),
        age(h["metadata"].get("creationTimestamp"), now),
    ]
