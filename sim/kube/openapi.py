"""A minimal OpenAPI v3 document: enough for kubectl create/apply/replace to see that the
server validates fields itself (`fieldValidation`), so they send `fieldValidation=Strict`
instead of failing to download a schema. It describes operations, not object schemas."""

from __future__ import annotations

import hashlib
from typing import Any

from sim.kube.resources import RESOURCE_TYPES, group_versions

Obj = dict[str, Any]


def _prefix(group: str, version: str) -> str:
    return f"api/{version}" if not group else f"apis/{group}/{version}"


def _hash(group: str, version: str) -> str:
    return hashlib.sha256(f"{group}/{version}".encode()).hexdigest()[:16].upper()


def index() -> Obj:
    return {
        "paths": {
            _prefix(g, v): {"serverRelativeURL": f"/openapi/v3/{_prefix(g, v)}?hash={_hash(g, v)}"}
            for g, v in group_versions()
        }
    }


def group_version_document(path: str) -> Obj | None:
    """The spec for `/openapi/v3/api/v1` or `/openapi/v3/apis/<group>/<version>`."""
    for group, version in group_versions():
        if path.strip("/") != f"openapi/v3/{_prefix(group, version)}":
            continue
        paths: Obj = {}
        for rt in RESOURCE_TYPES:
            if rt.group != group or rt.version != version or rt.virtual:
                continue
            gvk = {"group": group, "version": version, "kind": rt.kind}
            scope = (
                f"/namespaces/{{namespace}}/{rt.plural}/{{name}}"
                if rt.namespaced
                else f"/{rt.plural}/{{name}}"
            )
            parameter = {
                "name": "fieldValidation",
                "in": "query",
                "schema": {"type": "string"},
                "uniqueItems": True,
            }
            paths[f"/{_prefix(group, version)}{scope}"] = {
                "patch": {
                    "operationId": f"patch{rt.kind}",
                    "x-kubernetes-action": "patch",
                    "x-kubernetes-group-version-kind": gvk,
                    "parameters": [parameter],
                    "responses": {"200": {"description": "OK"}},
                },
                "put": {
                    "operationId": f"replace{rt.kind}",
                    "x-kubernetes-action": "put",
                    "x-kubernetes-group-version-kind": gvk,
                    "parameters": [parameter],
                    "responses": {"200": {"description": "OK"}},
                },
            }
        return {
            "openapi": "3.0.0",
            "info": {"title": "Kubernetes", "version": "v1.32.0"},
            "paths": paths,
            "components": {"schemas": {}},
        }
    return None
