"""REST semantics of the emulated API server, independent of HTTP: what a get, list, create,
update, patch, delete or scale does to the store. The HTTP layer and in-process callers (fault
injection, scoring) share it, so a fault is injected through the same path a kubectl write
takes."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sim.kube import errors, validation
from sim.kube.errors import ApiError
from sim.kube.patch import APPLY, PatchError, apply_patch
from sim.kube.resources import ResourceType
from sim.kube.selectors import (
    fields_match,
    labels_match,
    parse_field_selector,
    parse_label_selector,
)
from sim.kube.store import ObjectStore
from sim.kube.targets import Target

Obj = dict[str, Any]


@dataclass(frozen=True)
class ExecResult:
    """What a command run by the exec subresource printed, and its exit code."""

    exit_code: int
    stdout: str
    stderr: str = ""


class ClusterRuntime(Protocol):
    """What the API needs from the world behind it (controllers, kubelets, metrics)."""

    def sync(self) -> None: ...

    def catch_up(self) -> None: ...

    def logs(
        self,
        namespace: str,
        pod: str,
        container: str | None,
        *,
        previous: bool,
        tail_lines: int | None,
        since_seconds: int | None,
        timestamps: bool,
    ) -> str: ...

    def exec(
        self,
        namespace: str,
        pod: str,
        container: str | None,
        command: list[str],
        *,
        check_only: bool = False,
    ) -> ExecResult | None: ...

    def pod_metrics(self, namespace: str | None) -> list[Obj]: ...

    def node_metrics(self) -> list[Obj]: ...

    def now_time(self) -> datetime: ...

    def admit(self, rt: ResourceType, obj: Obj) -> None: ...


def _status_success(rt: ResourceType, obj: Obj) -> Obj:
    details: Obj = {
        "name": obj["metadata"]["name"],
        "kind": rt.plural,
        "uid": obj["metadata"].get("uid"),
    }
    if rt.group:
        details["group"] = rt.group
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": details,
    }


# Kinds whose DELETE answers with the object rather than a Status.
_RETURNS_OBJECT = {
    "Pod",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "ServiceAccount",
    "Namespace",
}


class ResourceApi:
    """Reads and writes with the API server's semantics. All methods take the cluster lock."""

    def __init__(self, store: ObjectStore, runtime: ClusterRuntime) -> None:
        self.store = store
        self.runtime = runtime
        self.lock = threading.RLock()
        self._batching = False

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "lock"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.lock = threading.RLock()

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Apply many writes before the cluster reacts (as `kubectl apply -f dir/` does, in
        quick succession); the runtime catches up once, at the end."""
        with self.lock:
            self._batching = True
            try:
                yield
            finally:
                self._batching = False
            self.runtime.sync()

    def _react(self) -> None:
        if not self._batching:
            self.runtime.sync()

    def _catch_up(self) -> None:
        """Before a read: the world at the present, which it often is already."""
        if not self._batching:
            self.runtime.catch_up()

    # -- reads -----------------------------------------------------------------------------

    def get(self, target: Target) -> Obj:
        with self.lock:
            self._catch_up()
            if target.subresource == "scale":
                return self._scale_of(target)
            return self.store.get(target.rt, target.namespace, target.name or "")

    def list(
        self, target: Target, label_selector: str | None = None, field_selector: str | None = None
    ) -> list[Obj]:
        with self.lock:
            self._catch_up()
            labels = parse_label_selector(label_selector)
            fields = parse_field_selector(field_selector, target.rt.kind)
            return [
                obj
                for obj in self.store.iter(target.rt, target.namespace)
                if labels_match(labels, obj["metadata"].get("labels")) and fields_match(fields, obj)
            ]

    def sync(self) -> None:
        """Bring the cluster to the present (a quiet watch calls this to see time pass, the
        telemetry APIs before they read)."""
        with self.lock:
            self.runtime.catch_up()

    def logs(
        self,
        namespace: str,
        pod: str,
        container: str | None = None,
        *,
        previous: bool = False,
        tail_lines: int | None = None,
        since_seconds: int | None = None,
        timestamps: bool = False,
    ) -> str:
        with self.lock:
            self._catch_up()
            return self.runtime.logs(
                namespace,
                pod,
                container,
                previous=previous,
                tail_lines=tail_lines,
                since_seconds=since_seconds,
                timestamps=timestamps,
            )

    def exec(
        self,
        namespace: str,
        pod: str,
        container: str | None,
        command: Sequence[str],
        *,
        check_only: bool = False,
    ) -> ExecResult | None:
        """Run a command to its end in a running container (the exec subresource); with
        `check_only`, raise what the server refuses before a stream opens, and run nothing."""
        with self.lock:
            self._react()
            result = self.runtime.exec(namespace, pod, container, [*command], check_only=check_only)
            self._react()  # what it changed (a database's users) shows from now on
            return result

    def metrics(self, target: Target) -> Obj:
        with self.lock:
            self._catch_up()
            rt = target.rt
            items = (
                self.runtime.pod_metrics(target.namespace)
                if rt.namespaced
                else self.runtime.node_metrics()
            )
            if target.name:
                for item in items:
                    if item["metadata"]["name"] == target.name:
                        return item
                raise errors.not_found(rt, target.name)
            return {
                "kind": f"{rt.kind}List",
                "apiVersion": rt.api_version,
                "metadata": {},
                "items": items,
            }

    def _scale_of(self, target: Target) -> Obj:
        obj = self.store.get(target.rt, target.namespace, target.name or "")
        selector = (obj.get("spec", {}).get("selector") or {}).get("matchLabels") or {}
        meta = obj["metadata"]
        return {
            "kind": "Scale",
            "apiVersion": "autoscaling/v1",
            "metadata": {
                k: meta[k]
                for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
                if k in meta
            },
            "spec": {"replicas": obj.get("spec", {}).get("replicas", 1)},
            "status": {
                "replicas": obj.get("status", {}).get("replicas", 0),
                "selector": ",".join(f"{k}={v}" for k, v in selector.items()),
            },
        }

    # -- writes ----------------------------------------------------------------------------

    def create(self, target: Target, body: Any, dry_run: bool = False) -> Obj:
        rt = target.rt
        if target.name or target.subresource:
            raise ApiError(
                405,
                f'create is not supported on resources of kind "{rt.plural}"',
                reason="MethodNotAllowed",
            )
        if not isinstance(body, dict):
            raise errors.bad_request("the request body must be an object")
        meta = body.setdefault("metadata", {})
        if rt.namespaced:
            if meta.get("namespace") and meta["namespace"] != target.namespace:
                raise errors.bad_request(
                    "the namespace of the provided object does not match the namespace sent "
                    "on the request"
                )
            meta["namespace"] = target.namespace
        with self.lock:
            self._react()
            self.runtime.admit(rt, body)
            validation.validate(rt, None, body)
            created = self.store.create(rt, body, dry_run=dry_run)
            if not dry_run:
                self._react()
            return created

    def update(self, target: Target, body: Any, dry_run: bool = False) -> Obj:
        if not isinstance(body, dict):
            raise errors.bad_request("the request body must be an object")
        with self.lock:
            self._react()
            current = self.store.get(target.rt, target.namespace, target.name or "")
            if target.subresource == "scale":
                return self._set_scale(target, current, body, dry_run)
            body_name = body.get("metadata", {}).get("name")
            if body_name and body_name != target.name:
                raise errors.bad_request(
                    "the name of the object does not match the name on the URL"
                )
            body.setdefault("metadata", {})["name"] = target.name
            if target.namespace:
                body["metadata"]["namespace"] = target.namespace
            return self._write_existing(target, body, current, dry_run)

    def patch(self, target: Target, body: Any, content_type: str, dry_run: bool = False) -> Obj:
        if content_type.split(";")[0].strip() == APPLY:
            raise ApiError(
                415,
                "server-side apply is not supported by the emulated API "
                "server; use client-side apply",
                reason="UnsupportedMediaType",
            )
        with self.lock:
            self._react()
            rt = target.rt
            current = self.store.get(rt, target.namespace, target.name or "")
            base = self._scale_of(target) if target.subresource == "scale" else current
            try:
                patched = apply_patch(base, body, content_type)
            except PatchError as exc:
                raise ApiError(422, str(exc)) from exc
            if not isinstance(patched, dict):
                raise ApiError(422, "the patch produced something that is not an object")
            if target.subresource == "scale":
                return self._set_scale(target, current, patched, dry_run)
            patched.setdefault("metadata", {})
            for key in ("name", "namespace", "uid"):
                if key in current["metadata"]:
                    patched["metadata"][key] = current["metadata"][key]
            patched["metadata"]["resourceVersion"] = (
                patched["metadata"].get("resourceVersion") or current["metadata"]["resourceVersion"]
            )
            return self._write_existing(target, patched, current, dry_run)

    def delete(self, target: Target, dry_run: bool = False) -> Obj:
        with self.lock:
            self._react()
            rt = target.rt
            deleted = self.store.delete(rt, target.namespace, target.name or "", dry_run=dry_run)
            if not dry_run:
                self._react()
            return deleted if rt.kind in _RETURNS_OBJECT else _status_success(rt, deleted)

    def _write_existing(self, target: Target, new: Obj, current: Obj, dry_run: bool) -> Obj:
        rt = target.rt
        if "status" in rt.subresources:
            # The main resource and its status subresource each own their half.
            if target.subresource == "status":
                new = {**current, "status": new.get("status")}
            else:
                new["status"] = current.get("status")
        validation.validate(rt, current, new)
        result = self.store.replace(rt, new, dry_run=dry_run)
        if not dry_run:
            self._react()
        return result

    def _set_scale(self, target: Target, current: Obj, scale: Obj, dry_run: bool) -> Obj:
        replicas = (scale.get("spec") or {}).get("replicas")
        if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
            raise errors.invalid(
                target.rt,
                target.name or "",
                [
                    (
                        "spec.replicas",
                        f"Invalid value: {replicas}: must be greater than or equal to 0",
                    )
                ],
            )
        new = {**current, "spec": {**current.get("spec", {}), "replicas": replicas}}
        self._write_existing(
            Target(target.rt, target.namespace, target.name, None), new, current, dry_run
        )
        result = self._scale_of(target)
        if dry_run:
            result["spec"]["replicas"] = replicas
        return result
