"""Claims that cannot bind because the volume meant for them is still Released: an app
redeployed (its namespace deleted and re-created) leaves its Retain PersistentVolumes bound,
by claimRef, to claims that no longer exist. The new claim of the same name and class cannot
bind until the stale claimRef is removed; removing it gives the app its data back, where
provisioning new volumes would start it empty. And claims of a StorageClass that does not
exist, which nothing will ever provision."""

from __future__ import annotations

import json

from agents.analyzers.observations import Obj, Observations
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
        fixes.append(
            obs.fix(
                *("patch", "pv", name, "--type", "json", "-p", json.dumps(RECLAIM)),
                why=f"{name} is Released, still reserved for the deleted "
                f"{ref.get('name')}: free it for the new claim (Retain: its data stays)",
            )
        )
    return fixes


def missing_class(obs: Observations, pod: Obj) -> tuple[str, str] | None:
    """(claim, why) for a claim of the pod whose provisioning failed for want of its
    StorageClass, and that no PersistentVolume of that class could bind either (a class name
    that only statically made volumes carry is no missing class)."""
    static = {(pv.get("spec") or {}).get("storageClassName") for pv in obs.items("pv")}
    classes = {
        c["metadata"]["name"]: (c.get("spec") or {}).get("storageClassName")
        for c in obs.items("pvc")
    }
    claims = {
        (v.get("persistentVolumeClaim") or {}).get("claimName")
        for v in (pod.get("spec") or {}).get("volumes") or []
    }
    for event in obs.items("events"):
        involved = event.get("involvedObject") or {}
        message = str(event.get("message", ""))
        if (
            involved.get("kind") == "PersistentVolumeClaim"
            and involved.get("name") in claims
            and classes.get(str(involved.get("name"))) not in static
            and event.get("reason") == "ProvisioningFailed"
            and "storageclass" in message.lower()
            and "not found" in message
        ):
            return str(involved["name"]), message
    return None
