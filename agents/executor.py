"""The Executor: runs a proposed write only with an approval record for exactly that
command, after a server-side dry run succeeds, as the writer identity; then reports what
happened. Every step is a recorded tool call. For an approved `kubectl apply -f`, it first
writes the approved manifest at the path the command names (under the policy's manifest
directory); the final gate re-reads that file against the approval's digest. `verify` then
looks after the leap, with reads."""

from __future__ import annotations

import json
from dataclasses import dataclass

from agents import manifests, runbooks
from agents.approval import ApprovalRecord
from agents.models import Execution, RunbookRef
from agents.target import ClusterTarget
from agents.tools.kubectl import Kubectl
from agents.verify import verify
from policies import Policy
from policies.command import parse_kubectl


@dataclass(frozen=True)
class DryRun:
    ok: bool
    output: str  # the server's answer, or why the write may not run


class Executor:
    def __init__(self, target: ClusterTarget, policy: Policy | None = None) -> None:
        self.policy = policy
        self.kubectl = Kubectl(target, "executor", policy)
        self.reader = Kubectl(target, "probe", policy)  # verification reads, never writes

    def verify(self, execution: Execution, timeout_s: int = 120) -> Execution:
        """After an apply, read whether it took (a rollout finished, a Service has ready
        endpoints); sets `verified` (None where a read cannot tell) and says what it saw."""
        if not execution.applied:
            execution.verified, execution.verification = False, "not applied"
            return execution
        self.reader.timeout = timeout_s + 15  # kubectl's own --timeout ends the wait first
        seen = verify(self.reader, execution.command, timeout_s)
        execution.verified, execution.verification = seen.verified, seen.detail
        return execution

    def dry_run(
        self,
        argv: list[str],
        manifest: str | None = None,
        runbook: RunbookRef | None = None,
        action_class: str | None = None,
    ) -> DryRun:
        """What the server says the write would do, before anyone approves it (and again
        right before it runs): a server-side dry run; for a runbook exec, the check that the
        script is still the declared, unchanged runbook; for a volume reclaim, that the
        volume may be handed back. Nothing is changed."""
        if action_class == "reclaim_volume":
            refusal = self._not_reclaimable(argv)
            if refusal:
                return DryRun(False, refusal)
        if runbook is not None:
            refusal = runbooks.preflight(self.reader, argv, runbook, self.policy)
            if refusal:
                return DryRun(False, refusal)
            return DryRun(
                True,
                f"(runbook checked: {runbook.configmap}/{runbook.key} at resourceVersion "
                f"{runbook.resource_version}, mounted where the command runs it)",
            )
        path = manifests.applied_file(argv)
        if manifest is not None and path is not None:
            try:
                manifests.write(path, manifest)
            except (OSError, manifests.ManifestError) as exc:
                return DryRun(False, f"cannot write the approved manifest: {exc}")
        dry = self.kubectl.run([*argv, "--dry-run=server"])
        if dry.decision == "deny" and "no --dry-run" in dry.reason:
            return DryRun(True, f"(none: {dry.reason})")  # e.g. rollout restart
        if not dry.ok:
            return DryRun(False, f"the server-side dry run failed: {dry.output}")
        return DryRun(True, dry.output)

    def execute(self, approval: ApprovalRecord) -> Execution:
        """Dry-run, then apply, the approved command; never anything else."""
        argv = list(approval.command)
        execution = Execution(command=argv)
        if not isinstance(approval, ApprovalRecord) or not approval.covers(argv, approval.manifest):
            execution.output = "refused: the approval does not cover this command, or expired"
            return execution
        dry = self.dry_run(argv, approval.manifest, approval.runbook, approval.action_class)
        if not dry.ok:
            execution.output = f"refused: {dry.output}"
            return execution
        execution.dry_run = dry.output
        return self._apply(approval, execution)

    def _apply(self, approval: ApprovalRecord, execution: Execution) -> Execution:
        applied = self.kubectl.run_approved(list(approval.command), approval)
        execution.output = applied.output
        execution.applied = applied.ok
        return execution

    def _not_reclaimable(self, argv: list[str]) -> str | None:
        """Why the volume of a `patch pv NAME -n NS` reclaim may not be touched, if so: it
        must be Released, and its old claim must have lived in NS (the namespace the
        approver's channel may change), so no one hands another team's data to a new claim."""
        command = parse_kubectl(argv)
        name, namespace = command.resources()[0].name or "", command.namespace
        call = self.kubectl.run(["kubectl", "get", "pv", name, "-o", "json"])
        try:
            volume = json.loads(call.raw)
        except ValueError:
            return f"cannot read pv {name}: {call.output}"
        phase = (volume.get("status") or {}).get("phase")
        owner = ((volume.get("spec") or {}).get("claimRef") or {}).get("namespace")
        if phase != "Released":
            return f"pv {name} is {phase}, not Released"
        if owner != namespace:
            return f"pv {name} belonged to a claim in {owner}, not {namespace}"
        return None
