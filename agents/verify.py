"""Look after you leap: after an approved write, read (as the read-only identity) whether it
took. A changed workload must finish its rollout; a changed Service must have ready endpoints.
Where one read cannot tell (a ConfigMap a program reads at start, a deleted pod its controller
replaces), the answer is "not verified" with the reason, never a guess."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from agents.tools.kubectl import Kubectl
from agents.tools.record import ToolCall
from policies.command import ParseError, Resource, parse_kubectl

WORKLOADS = {
    "deployment": "deployment",
    "deployments": "deployment",
    "deploy": "deployment",
    "statefulset": "statefulset",
    "statefulsets": "statefulset",
    "sts": "statefulset",
    "daemonset": "daemonset",
    "daemonsets": "daemonset",
    "ds": "daemonset",
}
SERVICES = {"service", "services", "svc"}


@dataclass
class Verification:
    verified: bool | None  # None: this change cannot be judged by a read right away
    detail: str
    calls: list[ToolCall] = field(default_factory=list)


def verify(reader: Kubectl, argv: list[str], timeout_s: int = 120) -> Verification:
    """Whether the write `argv` (already applied) has taken effect, judged by reads."""
    try:
        command = parse_kubectl(argv)
    except ParseError as exc:
        return Verification(None, f"cannot read the command back: {exc}")
    namespace = command.namespace
    if not namespace:
        return Verification(None, "the command names no namespace")
    if command.verb == "exec":
        return Verification(
            None, "a runbook changes what is inside a program; the workloads that depend on it tell"
        )
    checks = [_verify_one(reader, r, namespace, timeout_s) for r in command.resources()]
    if not checks:
        return Verification(None, "nothing to verify")
    seen = [c.verified for c in checks]
    verified = False if False in seen else None if None in seen else True
    return Verification(
        verified, "; ".join(c.detail for c in checks), [call for c in checks for call in c.calls]
    )


def _verify_one(
    reader: Kubectl, resource: Resource, namespace: str, timeout_s: int
) -> Verification:
    kind, name = resource.kind, resource.name
    if name is None:
        return Verification(None, f"{kind}: no name to check")
    if kind in WORKLOADS:
        target = f"{WORKLOADS[kind]}/{name}"
        call = reader.run(
            ["kubectl", "rollout", "status", target, "-n", namespace, f"--timeout={timeout_s}s"]
        )
        if call.ok:
            return Verification(True, f"{target} rolled out", [call])
        return Verification(False, f"{target} did not roll out: {_last(call)}", [call])
    if kind in SERVICES:
        call = reader.run(["kubectl", "get", "endpoints", name, "-n", namespace, "-o", "json"])
        ready = _ready_addresses(call.raw) if call.ok else 0
        if ready:
            noun = "endpoint" if ready == 1 else "endpoints"
            return Verification(True, f"service/{name} has {ready} ready {noun}", [call])
        return Verification(False, f"service/{name} has no ready endpoints", [call])
    return Verification(None, f"{kind}/{name}: a read cannot tell yet whether this took")


def _ready_addresses(raw: str) -> int:
    try:
        subsets = json.loads(raw).get("subsets") or []
    except (ValueError, AttributeError):
        return 0
    return sum(len(s.get("addresses") or []) for s in subsets)


def _last(call: ToolCall) -> str:
    lines = [line for line in (call.output or call.reason).splitlines() if line.strip()]
    return lines[-1] if lines else f"exit {call.exit_code}"
