"""PATCH bodies as the API server applies them: strategic merge, JSON merge and JSON patch."""

from __future__ import annotations

import copy
from typing import Any

import jsonpatch

Obj = dict[str, Any]

STRATEGIC = "application/strategic-merge-patch+json"
MERGE = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
APPLY = "application/apply-patch+yaml"


class PatchError(ValueError):
    """The patch cannot be applied to the object (the server answers 422 or 400)."""


def apply_patch(obj: Obj, patch: Any, content_type: str) -> Obj:
    """Apply a PATCH body of the given Content-Type to a copy of `obj`."""
    base = content_type.split(";")[0].strip()
    if base == JSON_PATCH:
        if not isinstance(patch, list):
            raise PatchError("json patch must be a list of operations")
        try:
            return jsonpatch.apply_patch(obj, patch)  # type: ignore[no-any-return]
        except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as exc:
            raise PatchError(str(exc)) from exc
    if not isinstance(patch, dict):
        raise PatchError("patch body must be a JSON object")
    if base == MERGE:
        merged: Obj = json_merge_patch(obj, patch)
        return merged
    if base == STRATEGIC:
        return strategic_merge_patch(obj, patch)
    raise PatchError(f"unsupported patch type {content_type}")


def json_merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: maps merge recursively, null deletes, everything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = json_merge_patch(result.get(key), value)
    return result


# Lists merged element-wise, by the key Kubernetes' API types declare as patchMergeKey.
_MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "volumes": "name",
    "env": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "imagePullSecrets": "name",
    "hostAliases": "ip",
    "conditions": "type",
    "ownerReferences": "uid",
    "topologySpreadConstraints": "topologyKey",
    "resourceClaims": "name",
    "secrets": "name",
}
# Lists of scalars whose strategy is merge (union) rather than replace.
_MERGED_PRIMITIVE_LISTS = {"finalizers"}
_CONTAINER_LISTS = {"containers", "initContainers", "ephemeralContainers"}


def _merge_key(field: str, path: tuple[str, ...]) -> str | None:
    if field == "ports":
        # Container ports merge on containerPort, Service ports on port.
        return "containerPort" if any(p in _CONTAINER_LISTS for p in path) else "port"
    return _MERGE_KEYS.get(field)


def strategic_merge_patch(obj: Obj, patch: Obj) -> Obj:
    """Apply a strategic merge patch the way the API server does for built-in types."""
    result = _merge_map(copy.deepcopy(obj), patch, ())
    if result is None:
        raise PatchError("a strategic merge patch cannot delete the whole object")
    return result


def _merge_map(original: Obj, patch: Obj, path: tuple[str, ...]) -> Obj | None:
    directive = patch.get("$patch")
    if directive == "delete":
        return None
    if directive == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    if directive not in (None, "merge"):
        raise PatchError(f"unknown patch directive {directive!r}")
    retain = patch.get("$retainKeys")
    for key, value in patch.items():
        if key in ("$patch", "$retainKeys") or key.startswith("$setElementOrder/"):
            continue
        if key.startswith("$deleteFromPrimitiveList/"):
            field = key.split("/", 1)[1]
            original[field] = [v for v in original.get(field) or [] if v not in value]
            continue
        if value is None:
            original.pop(key, None)
        elif isinstance(value, dict):
            current = original.get(key)
            merged = _merge_map(current if isinstance(current, dict) else {}, value, (*path, key))
            if merged is None:
                original.pop(key, None)
            else:
                original[key] = merged
        elif isinstance(value, list):
            original[key] = _merge_list(original.get(key), value, key, (*path, key))
        else:
            original[key] = copy.deepcopy(value)
    for key, order in patch.items():
        if key.startswith("$setElementOrder/"):
            field = key.split("/", 1)[1]
            if isinstance(original.get(field), list):
                original[field] = _ordered(original[field], order, _merge_key(field, path))
    if retain is not None:
        original = {k: v for k, v in original.items() if k in retain}
    return original


def _merge_list(original: Any, patch: list[Any], field: str, path: tuple[str, ...]) -> list[Any]:
    if any(isinstance(item, dict) and item.get("$patch") == "replace" for item in patch):
        return [
            copy.deepcopy(i)
            for i in patch
            if not (isinstance(i, dict) and i.get("$patch") == "replace")
        ]
    current = list(original) if isinstance(original, list) else []
    if field in _MERGED_PRIMITIVE_LISTS:
        return current + [v for v in patch if v not in current]
    key = _merge_key(field, path[:-1])
    if key is None:
        return copy.deepcopy(patch)  # atomic list: the patch replaces it
    added: list[Any] = []
    for item in patch:
        if not isinstance(item, dict) or key not in item:
            raise PatchError(f"map in list {field} is missing its merge key {key!r}")
        index = next(
            (i for i, c in enumerate(current) if isinstance(c, dict) and c.get(key) == item[key]),
            None,
        )
        if item.get("$patch") == "delete":
            if index is not None:
                current.pop(index)
            continue
        if index is None:
            added.append({k: copy.deepcopy(v) for k, v in item.items() if k != "$patch"})
        else:
            merged = _merge_map(current[index], item, path)
            if merged is None:
                current.pop(index)
            else:
                current[index] = merged
    # The API server puts elements the original lacked before the ones it had.
    return added + current


def _ordered(items: list[Any], order: list[Any], key: str | None) -> list[Any]:
    """Sort merged elements by `$setElementOrder`; elements it does not name go last."""

    def identity(item: Any) -> Any:
        return item.get(key) if key and isinstance(item, dict) else item

    wanted = [identity(o) for o in order]
    position = {value: i for i, value in enumerate(wanted)}
    return sorted(items, key=lambda item: position.get(identity(item), len(position)))
