"""Manifests the Executor applies. A fix that needs a new object (a Job that repairs a
database's users) travels as the manifest text itself, in the proposal and then in the
approval record. The Executor writes it under the policy's `executor.manifest_dir` (the only
place `kubectl apply -f` may read from), named by the content's sha256, and the last gate
before the write re-reads the file and compares digests: an approved manifest cannot be
swapped for another. Only kinds a repair needs are accepted, in the incident's namespace,
without the pod settings that would widen what the repair can reach."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from agents.models import ProposedAction

# One-shot repairs only: nothing that grants access, schedules itself, or persists.
APPLICABLE_KINDS = {("batch/v1", "Job")}
_ESCAPES = ("hostNetwork", "hostPID", "hostIPC", "serviceAccountName", "serviceAccount")


class ManifestError(ValueError):
    """A manifest the Executor will not write or apply, with the reason."""


def digest(manifest: str) -> str:
    return hashlib.sha256(manifest.encode()).hexdigest()


def render(obj: dict[str, Any]) -> str:
    """The one text form a manifest takes (kubectl reads JSON as it reads YAML)."""
    return json.dumps(obj, indent=2, sort_keys=True) + "\n"


def manifest_path(manifest: str, manifest_dir: str) -> Path:
    return Path(os.path.expanduser(manifest_dir)) / f"{digest(manifest)}.json"


def apply_action(
    obj: dict[str, Any], namespace: str, rationale: str, manifest_dir: str
) -> ProposedAction:
    """A proposal to create `obj`: `kubectl apply -f <dir>/<sha256>.json -n <namespace>`."""
    manifest = render({**obj, "metadata": {**obj.get("metadata", {}), "namespace": namespace}})
    path = manifest_path(manifest, manifest_dir)
    return ProposedAction(
        command=["kubectl", "apply", "-f", str(path), "-n", namespace],
        rationale=rationale,
        manifest=manifest,
    )


def applied_file(argv: list[str] | tuple[str, ...]) -> Path | None:
    """The file a `kubectl apply -f FILE` reads (None for any other command)."""
    if len(argv) < 2 or argv[1] != "apply":
        return None
    for i, word in enumerate(argv):
        if word in ("-f", "--filename") and i + 1 < len(argv):
            return Path(argv[i + 1])
        if word.startswith("--filename="):
            return Path(word.split("=", 1)[1])
    return None


def check(manifest: str, argv: list[str] | tuple[str, ...], namespace: str | None) -> None:
    """Raise ManifestError unless `argv` applies exactly this manifest, named by its digest,
    and the manifest is one object of an applicable kind in `namespace`."""
    path = applied_file(argv)
    if path is None:
        raise ManifestError("a manifest goes with `kubectl apply -f` only")
    if path.name != f"{digest(manifest)}.json":
        raise ManifestError(f"{path.name} is not named by the manifest's sha256")
    try:
        obj = json.loads(manifest)
    except ValueError as exc:
        raise ManifestError(f"the manifest is not JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise ManifestError("the manifest must be one object")
    kind = (obj.get("apiVersion"), obj.get("kind"))
    if kind not in APPLICABLE_KINDS:
        raise ManifestError(f"{kind[1]} ({kind[0]}) is not a kind the Executor creates")
    where = (obj.get("metadata") or {}).get("namespace")
    if namespace is None or where != namespace:
        raise ManifestError(f"the manifest's namespace {where!r} is not the command's")
    pod = ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}
    for name in _ESCAPES:
        if name in pod:
            raise ManifestError(f"pod setting {name} is not allowed in a repair")
    if pod.get("automountServiceAccountToken") is not False:
        raise ManifestError("a repair runs without a service account token")
    for volume in pod.get("volumes") or []:
        if "hostPath" in volume or "secret" in volume:
            raise ManifestError("a repair mounts no host path and no Secret")
    for container in pod.get("containers") or []:
        if (container.get("securityContext") or {}).get("privileged"):
            raise ManifestError("a repair runs unprivileged")
        if any("secretRef" in e for e in container.get("envFrom") or []):
            raise ManifestError("a repair reads no Secret")


def write(path: Path, manifest: str) -> None:
    """Write the approved manifest at its content-addressed path; refuse a different file
    already there (someone else put it there)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.exists():
        if digest(path.read_text()) != digest(manifest):
            raise ManifestError(f"{path} holds other content than the approved manifest")
        return
    partial = path.with_suffix(".partial")
    partial.write_text(manifest)
    partial.replace(path)


def read(path: Path | None) -> str | None:
    """The text at `path` now (None when there is no such file)."""
    if path is None:
        return None
    try:
        return Path(os.path.expanduser(path)).read_text()
    except OSError:
        return None
