"""Kubernetes Events, recorded and aggregated the way kubelets and controllers do."""

from __future__ import annotations

import contextlib
import hashlib
from datetime import datetime
from typing import Any

from sim.clock import rfc3339
from sim.kube.errors import ApiError
from sim.kube.resources import resource_for_kind
from sim.kube.store import ObjectStore

Obj = dict[str, Any]
EVENTS = resource_for_kind("Event")


class EventRecorder:
    """Emit events; a repeat of the same (object, reason, message) bumps count and lastTimestamp,
    as the client-go event correlator does."""

    def __init__(self, store: ObjectStore) -> None:
        self.store = store

    def emit(
        self,
        obj: Obj,
        reason: str,
        message: str,
        at: datetime,
        *,
        type_: str = "Normal",
        component: str = "kubelet",
        host: str | None = None,
        field_path: str | None = None,
        count: int = 1,
        absolute: bool = False,
    ) -> None:
        """Record an event; `absolute` sets the count instead of adding to it (for series
        whose length is known in closed form, like repeated probe failures)."""
        meta = obj["metadata"]
        namespace = meta.get("namespace") or "default"
        digest = hashlib.sha1(f"{meta.get('uid')}|{reason}|{message}".encode()).hexdigest()[:16]
        name = f"{meta['name']}.{digest}"
        existing = self.store.peek(EVENTS, namespace, name)
        if existing is not None:
            total = count if absolute else existing.get("count", 1) + count
            if total == existing.get("count") and existing.get("lastTimestamp") == rfc3339(at):
                return
            updated = {**existing, "count": total, "lastTimestamp": rfc3339(at)}
            self.store.replace(EVENTS, updated, check_version=False, copy_result=False)
            return
        involved: Obj = {
            "kind": obj.get("kind"),
            "namespace": meta.get("namespace"),
            "name": meta["name"],
            "uid": meta.get("uid"),
            "apiVersion": obj.get("apiVersion"),
            "resourceVersion": meta.get("resourceVersion"),
        }
        if field_path:
            involved["fieldPath"] = field_path
        source: Obj = {"component": component}
        if host:
            source["host"] = host
        event = {
            "metadata": {"name": name, "namespace": namespace},
            "involvedObject": {k: v for k, v in involved.items() if v is not None},
            "reason": reason,
            "message": message,
            "source": source,
            "firstTimestamp": rfc3339(at),
            "lastTimestamp": rfc3339(at),
            "count": count,
            "type": type_,
            "eventTime": None,
            "reportingComponent": component,
            "reportingInstance": host or "",
        }
        # In a namespace being deleted the API server drops the event.
        with contextlib.suppress(ApiError):
            self.store.create(EVENTS, event, copy_result=False)
