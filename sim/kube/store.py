"""The object store behind the API: versioned JSON objects keyed by resource, namespace, name."""

from __future__ import annotations

import copy
import random
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from sim.clock import rfc3339
from sim.kube import errors
from sim.kube.resources import ResourceType, resource_for_kind

Obj = dict[str, Any]
Key = tuple[str, str]  # (namespace or "", name)
ChangeListener = Callable[[str, ResourceType, Obj], None]

# Kinds whose spec changes bump metadata.generation (the rest never set it).
_GENERATION_KINDS = {
    "Deployment",
    "ReplicaSet",
    "StatefulSet",
    "DaemonSet",
    "Job",
    "CronJob",
    "HorizontalPodAutoscaler",
    "Namespace",
}


class ObjectStore:
    """In-memory objects with the metadata semantics of etcd behind a kube-apiserver."""

    def __init__(self, now: Callable[[], datetime], seed: int = 0) -> None:
        self._now = now
        self._rng = random.Random(seed)
        self._objects: dict[tuple[str, str], dict[Key, Obj]] = {}
        self._order: dict[tuple[str, str], list[Key]] = {}  # sorted keys, rebuilt on change
        # The same, for one namespace (controllers walk one namespace's pods many times).
        self._ns_order: dict[tuple[str, str], dict[str, list[Key]]] = {}
        self._revision = 1000
        # The revision of each kind's last write, so that a controller whose inputs did not
        # change since it last found nothing to do can say so without walking them.
        self._kind_revisions: dict[tuple[str, str], int] = {}
        self._listeners: list[ChangeListener] = []

    # -- reading ---------------------------------------------------------------------------

    @property
    def revision(self) -> int:
        return self._revision

    def kind_revision(self, rt: ResourceType) -> int:
        """The store revision of the last write to an object of this kind (0: none yet)."""
        return self._kind_revisions.get((rt.group, rt.plural), 0)

    def _bump(self, rt: ResourceType) -> int:
        self._revision += 1
        self._kind_revisions[(rt.group, rt.plural)] = self._revision
        return self._revision

    def _bucket(self, rt: ResourceType) -> dict[Key, Obj]:
        return self._objects.setdefault((rt.group, rt.plural), {})

    def peek(self, rt: ResourceType, namespace: str | None, name: str) -> Obj | None:
        """The live object (not a copy) or None; for controllers that only read."""
        return self._bucket(rt).get((namespace or "", name))

    def get(self, rt: ResourceType, namespace: str | None, name: str) -> Obj:
        obj = self.peek(rt, namespace, name)
        if obj is None:
            raise errors.not_found(rt, name)
        return copy.deepcopy(obj)

    def iter(self, rt: ResourceType, namespace: str | None = None) -> Iterator[Obj]:
        """Live objects in name order (namespace, then name), optionally in one namespace."""
        bucket = self._bucket(rt)
        order = self._order.get((rt.group, rt.plural))
        if order is None:
            order = self._order[(rt.group, rt.plural)] = sorted(bucket)
        if namespace is not None:
            by_ns = self._ns_order.setdefault((rt.group, rt.plural), {})
            mine = by_ns.get(namespace)
            if mine is None:
                mine = by_ns[namespace] = [k for k in order if k[0] == namespace]
            order = mine
        for key in order:
            obj = bucket.get(key)
            if obj is not None:
                yield obj

    def _forget_order(self, rt: ResourceType) -> None:
        self._order.pop((rt.group, rt.plural), None)
        self._ns_order.pop((rt.group, rt.plural), None)

    def kind_iter(self, kind: str, namespace: str | None = None) -> Iterator[Obj]:
        return self.iter(resource_for_kind(kind), namespace)

    # -- writing ---------------------------------------------------------------------------

    def add_listener(self, listener: ChangeListener) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: ChangeListener) -> None:
        self._listeners.remove(listener)

    def _notify(self, event: str, rt: ResourceType, obj: Obj) -> None:
        for listener in self._listeners:
            listener(event, rt, obj)

    def new_uid(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def _check_namespace(self, rt: ResourceType, namespace: str | None) -> str:
        if not rt.namespaced:
            return ""
        if not namespace:
            raise errors.bad_request("the namespace of the object must be set")
        ns_type = resource_for_kind("Namespace")
        if ("", namespace) not in self._bucket(ns_type):
            raise errors.namespace_not_found(namespace)
        return namespace

    def create(
        self, rt: ResourceType, obj: Obj, *, dry_run: bool = False, copy_result: bool = True
    ) -> Obj:
        """Store a new object; fills uid, resourceVersion, creationTimestamp, generation.
        Without `copy_result` the stored object itself is returned, for writers that only
        read it (as with `replace`)."""
        obj = copy.deepcopy(obj)
        meta = obj.setdefault("metadata", {})
        namespace = self._check_namespace(rt, meta.get("namespace"))
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + self.random_suffix()
        name = meta.get("name")
        if not name:
            raise errors.invalid(
                rt, "", [("metadata.name", "Required value: name or generateName is required")]
            )
        if (namespace, name) in self._bucket(rt):
            raise errors.already_exists(rt, name)
        obj["apiVersion"], obj["kind"] = rt.api_version, rt.kind
        if rt.namespaced:
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)
        meta["uid"] = self.new_uid()
        meta["creationTimestamp"] = rfc3339(self._now())
        if rt.kind in _GENERATION_KINDS:
            meta["generation"] = 1
        if dry_run:
            meta["resourceVersion"] = str(self._revision)
            return obj
        meta["resourceVersion"] = str(self._bump(rt))
        self._bucket(rt)[(namespace, name)] = obj
        self._forget_order(rt)
        self._notify("ADDED", rt, obj)
        return copy.deepcopy(obj) if copy_result else obj

    def replace(
        self,
        rt: ResourceType,
        obj: Obj,
        *,
        dry_run: bool = False,
        check_version: bool = True,
        copy_result: bool = True,
    ) -> Obj:
        """Store a new version of an existing object (an update, as PUT does).

        A stale `metadata.resourceVersion` is a 409 Conflict; metadata the server owns (uid,
        creationTimestamp) is kept from the stored object whatever the caller sent.
        """
        meta = obj.get("metadata") or {}
        namespace = meta.get("namespace", "") if rt.namespaced else ""
        name = meta.get("name", "")
        current = self.peek(rt, namespace, name)
        if current is None:
            raise errors.not_found(rt, name)
        sent_version = meta.get("resourceVersion")
        if (
            check_version
            and sent_version
            and sent_version != current["metadata"]["resourceVersion"]
        ):
            raise errors.conflict(rt, name)
        new = _copy_reusing(obj, current)
        new_meta = new.setdefault("metadata", {})
        for key in ("uid", "creationTimestamp", "namespace", "name"):
            if key in current["metadata"]:
                new_meta[key] = current["metadata"][key]
        new["apiVersion"], new["kind"] = rt.api_version, rt.kind
        if "generation" in current["metadata"]:
            changed = new.get("spec") != current.get("spec")
            new_meta["generation"] = current["metadata"]["generation"] + (1 if changed else 0)
        if _without_version(new) == _without_version(current):
            return copy.deepcopy(current)  # a no-op write does not bump the version
        if dry_run:
            new_meta["resourceVersion"] = current["metadata"]["resourceVersion"]
            return copy.deepcopy(new)  # shares parts with the stored object
        new_meta["resourceVersion"] = str(self._bump(rt))
        self._bucket(rt)[(namespace, name)] = new
        self._notify("MODIFIED", rt, new)
        # Controllers write often and ignore the result; API callers get their own copy.
        return copy.deepcopy(new) if copy_result else new

    def delete(
        self, rt: ResourceType, namespace: str | None, name: str, *, dry_run: bool = False
    ) -> Obj:
        key = (namespace or "" if rt.namespaced else "", name)
        current = self._bucket(rt).get(key)
        if current is None:
            raise errors.not_found(rt, name)
        if dry_run:
            return copy.deepcopy(current)
        del self._bucket(rt)[key]
        self._forget_order(rt)
        self._bump(rt)
        self._notify("DELETED", rt, current)
        return copy.deepcopy(current)

    def random_suffix(self, length: int = 5) -> str:
        """A name suffix from the alphabet Kubernetes uses (no vowels, no look-alikes)."""
        alphabet = "bcdfghjklmnpqrstvwxz2456789"
        return "".join(self._rng.choice(alphabet) for _ in range(length))


def _without_version(obj: Obj) -> Obj:
    meta = {k: v for k, v in obj.get("metadata", {}).items() if k != "resourceVersion"}
    return {**obj, "metadata": meta}


def _copy_reusing(obj: Obj, current: Obj) -> Obj:
    """A deep copy of `obj`, except for the parts it shares with `current`, the stored version
    it replaces, which are kept as they are. Stored objects are never changed in place (a
    writer builds a new object, as `{**pod, "status": ...}`), so two versions may share what
    did not change; copying a whole pod to store its new status cost more than the rest of a
    controller pass. The metadata dict is always new: `replace` fills it in."""
    out: Obj = {}
    for key, value in obj.items():
        if key == "metadata" and isinstance(value, dict):
            old = current.get("metadata") or {}
            out[key] = {k: _reuse(v, old.get(k)) for k, v in value.items()}
        else:
            out[key] = _reuse(value, current.get(key))
    return out


def _reuse(value: Any, old: Any) -> Any:
    if value is old:
        return value
    if isinstance(value, dict) and isinstance(old, dict):
        return {k: _reuse(v, old.get(k)) for k, v in value.items()}
    return copy.deepcopy(value)
