"""Feature flags as a cause: what changed is often a flag, not a deployment. A flag server's
configuration (a ConfigMap holding flagd-style JSON: flags with variants and a
defaultVariant) that serves a flag at other than its off variant is a suspect; it is a fault
signal when something corroborates it: services log the flag's name, or the flag server was
restarted (to load a change) well after the rest of the app started. The flag's own
description usually says which component it acts on; failing that, the services that log it.
The fix is the flag's off variant in the ConfigMap, then a restart of the flag server, which
reads its file at start."""

from __future__ import annotations

import json
import re
from datetime import datetime
from statistics import median
from typing import Any

from agents.analyzers.observations import Obj, Observations
from agents.models import ProposedAction, Signal

CORROBORATED = 0.7  # a cause, but below an error edge that points elsewhere in traces
SUSPECT = 0.5  # a flag on by itself is a setting, not a fault
RESTART_LAG_S = 300.0  # how much later than the app a restart must be to count as a change


def flag_signals(obs: Observations) -> list[Signal]:
    out: list[Signal] = []
    for cm in obs.items("configmaps"):
        for key, text in (cm.get("data") or {}).items():
            flags = _flags(text)
            if not flags:
                continue
            servers = _servers(obs, cm["metadata"]["name"])
            restarted = [s for s in servers if _restarted_late(obs, s)]
            for name, spec in flags.items():
                off = _off_variant(spec)
                if off is None or spec.get("defaultVariant") in (None, off):
                    continue
                if spec.get("state") == "DISABLED":
                    continue
                out.append(_signal(obs, cm, key, text, name, spec, off, servers, restarted))
    return out


def _flags(text: str) -> dict[str, Any]:
    try:
        doc = json.loads(text)
    except ValueError:
        return {}
    flags = doc.get("flags") if isinstance(doc, dict) else None
    if not isinstance(flags, dict):
        return {}
    return {n: f for n, f in flags.items() if isinstance(f, dict) and "variants" in f}


def _off_variant(spec: dict[str, Any]) -> str | None:
    """The variant that turns the flag off: one named "off", else one whose value is false
    or zero."""
    variants = spec.get("variants") or {}
    if "off" in variants:
        return "off"
    return next((v for v, value in variants.items() if value in (False, 0, "off")), None)


def _servers(obs: Observations, configmap: str) -> list[str]:
    """Deployments whose pods mount the ConfigMap (the flag server)."""
    return [
        d["metadata"]["name"]
        for d in obs.items("deployments")
        if any(
            (v.get("configMap") or {}).get("name") == configmap
            for v in d["spec"]["template"]["spec"].get("volumes") or []
        )
    ]


def _started(pod: Obj) -> datetime | None:
    stamp = (pod.get("status") or {}).get("startTime")
    try:
        return datetime.fromisoformat(str(stamp).replace("Z", "+00:00")) if stamp else None
    except ValueError:
        return None


def _restarted_late(obs: Observations, deployment: str) -> bool:
    """The deployment's pods started well after most of the namespace's pods did."""
    starts = [(obs.owner(p), _started(p)) for p in obs.items("pods")]
    known = [(o, t) for o, t in starts if t is not None]
    if len(known) < 3:
        return False
    typical = median(t.timestamp() for _, t in known)
    mine = [t.timestamp() for o, t in known if o == deployment]
    return bool(mine) and min(mine) - typical > RESTART_LAG_S


def _named_in(description: str, names: list[str]) -> str | None:
    """The component the description names first (longest name on a tie)."""
    words = " " + re.sub(r"[^a-z0-9]+", " ", description.lower()) + " "
    found = []
    for name in names:
        spelled = " " + re.sub(r"[^a-z0-9]+", " ", name.lower()).strip() + " "
        at = words.find(spelled)
        if at >= 0:
            found.append((at, -len(spelled), name))
    return min(found)[2] if found else None


def _signal(
    obs: Observations,
    cm: Obj,
    key: str,
    text: str,
    name: str,
    spec: dict[str, Any],
    off: str,
    servers: list[str],
    restarted: list[str],
) -> Signal:
    owners = {p["metadata"]["name"]: obs.owner(p) for p in obs.items("pods")}
    mentioned = sorted({owners.get(pod, pod) for pod, log in obs.logs.items() if name in log})
    services = [s["metadata"]["name"] for s in obs.items("services")]
    candidates = [s for s in services if s not in servers]
    component = _named_in(str(spec.get("description", "")), candidates)
    component = component or (mentioned[0] if mentioned else None)
    serving = spec.get("defaultVariant")
    evidence = [f"configmap/{cm['metadata']['name']} {key}: {name} serves {serving!r}, not {off!r}"]
    if mentioned:
        evidence.append(f"logged by {', '.join(mentioned)}")
    if restarted:
        evidence.append(f"{', '.join(restarted)} restarted well after the app started")
    return Signal(
        analyzer="feature_flag_on",
        score=CORROBORATED if (mentioned or restarted) else SUSPECT,
        component=component or (servers[0] if servers else None),
        summary=f"feature flag {name} is on ({spec.get('defaultVariant')}): "
        f"{spec.get('description') or 'no description'}",
        evidence=evidence,
        fixes=_turn_off(obs, cm, key, text, name, off, servers),
    )


def _turn_off(
    obs: Observations, cm: Obj, key: str, text: str, name: str, off: str, servers: list[str]
) -> list[ProposedAction]:
    doc = json.loads(text)
    doc["flags"][name]["defaultVariant"] = off
    return obs.config_fix(
        cm["metadata"]["name"],
        {key: json.dumps(doc, indent=2) + "\n"},
        f"serve {name} at its off variant again",
        list(servers),
    )
