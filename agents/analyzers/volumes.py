"""Claims that cannot bind because the volume meant for them is still Released: an app
redeployed (its namespace deleted and re-created) leaves its Retain PersistentVolumes bound,
by claimRef, to claims that no longer exist. The new claim of the same name and class cannot
bind until the stale claimRef is removed; removing it gives the app its data back, where
provisioning new volumes would start it empty."""

from __future__ import annotations

import json

from agents.analyzers.observations import Observations
from agents.models import ProposedAction

RECLAIM = [{"op": "remove", "path": "/spec/claimRef"}]


def reclaim_fixes(obs: Observations) -> list[ProposedAction]:
    """One patch per Released volume whose old claim is a Pending claim's namesake."""
    pending = {
        (c["metadata"]["name"], (c.get("spec") or {}).get("storageClassName") or "")
        for c in obs.items("pvc")
        if (c.get("status") or {}).get("phase") == "Pending"
    }
    fixes = []
    for pv in obs.items("pv"):
        spec = pv.get("spec") or {}
        ref = spec.get("claimRef") or {}
        if (pv.get("status") or {}).get("phase") != "Released":
            continue
        if ref.get("namespace") != obs.namespace:
            continue
        if (ref.get("name"), spec.get("storageClassName") or "") not in pending:
            continue
        name = pv["metadata"]["name"]
        patch = ["--type", "json", "-p", json.dumps(RECLAIM)]
        fixes.append(
            ProposedAction(
                command=["kubectl", "patch", "pv", name, "-n", obs.namespace, *patch],
                rationale=f"{name} is Released, still reserved for the deleted "
                f"{ref.get('name')}: free it for the new claim (Retain: its data stays)",
            )
        )
    return fixes
