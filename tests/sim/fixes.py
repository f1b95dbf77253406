"""What an SRE types to fix (or wrongly "fix") a scenario, as kubectl commands, and the test
both fix suites share: apply it, let the cluster run, score the mitigation."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import yaml

from tests.conftest import Kubectl

Fix = Callable[[Kubectl], None]
SETTLE_SECONDS = 330  # the longest crash-loop back-off, and memory pressure's transition


def kubectl(*args: str) -> Fix:
    def run(k: Kubectl) -> None:
        k.run(*args, writer=True)

    return run


def patch(kind: str, name: str, ops: list[dict[str, Any]]) -> Fix:
    return kubectl("patch", kind, name, "--type", "json", "-p", json.dumps(ops))


def apply(manifest: dict[str, Any]) -> Fix:
    def run(k: Kubectl) -> None:
        k.run("apply", "-f", "-", writer=True, stdin=yaml.safe_dump(manifest))

    return run


def delete_pods(label: str) -> Fix:
    return kubectl("delete", "pod", "-l", label)


def steps(*fixes: Fix) -> Fix:
    def run(k: Kubectl) -> None:
        for fix in fixes:
            fix(k)

    return run


def fix_configmap(name: str, key: str, find: str, replace: str) -> Fix:
    def run(k: Kubectl) -> None:
        configmap = k.json("get", "cm", name)
        configmap["data"][key] = configmap["data"][key].replace(find, replace)
        k.run("replace", "-f", "-", writer=True, stdin=json.dumps(configmap))

    return run


def mitigation_after(running: Any, k: Kubectl, fix: Fix) -> Any:
    """Apply the fix, let the cluster run, and score the mitigation."""
    fix(k)
    running.cluster.advance(SETTLE_SECONDS)
    return running.score("mitigation", None)
