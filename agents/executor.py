"""The Executor: runs a proposed write only with an approval record for exactly that
command, after a server-side dry run succeeds, as the writer identity; then reports what
happened. Every step is a recorded tool call. For an approved `kubectl apply -f`, it first
writes the approved manifest at the path the command names (under the policy's manifest
directory); the final gate re-reads that file against the approval's digest. `verify` then
looks after the leap, with reads."""

from __future__ import annotations

import json

from agents import manifests, runbooks
from agents.approval import ApprovalRecord
from agents.models import Execution
from agents.target import ClusterTarget
from agents.tools.kubectl import Kubectl
from agents.verify import verify
from policies import Policy
from policies.command import parse_kubectl


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

    def execute(self, approval: ApprovalRecord) -> Execution:
        """Dry-run, then apply, the approved command; never anything else."""
        argv = list(approval.command)
        execution = Execution(command=argv)
        if not isinstance(approval, ApprovalRecord) or not approval.covers(argv, approval.manifest):
            execution.output = "refused: the approval does not cover this command, or expired"
            return execution
        if approval.action_class == "reclaim_volume":
            refusal = self._not_reclaimable(argv)
            if refusal:
                execution.output = f"refused: {refusal}"
                return execution
        if approval.runbook is not None:
            # An exec has no server-side dry run: the check that the script is still the
            # declared, unchanged runbook stands in for it.
            refusal = runbooks.preflight(self.reader, argv, approval.runbook, self.policy)
            if refusal:
                execution.output = f"refused: {refusal}"
                return execution
            ref = approval.runbook
            execution.dry_run = (
                f"(runbook checked: {ref.configmap}/{ref.key} at resourceVersion "
                f"{ref.resource_version}, mounted where the command runs it)"
            )
            return self._apply(approval, execution)
        path = manifests.applied_file(argv)
        if approval.manifest is not None and path is not None:
            try:
                manifests.write(path, approval.manifest)
            except (OSError, manifests.ManifestError) as exc:
                execution.output = f"refused: cannot write the approved manifest: {exc}"
                return execution
        dry = self.kubectl.run([*argv, "--dry-run=server"])
        if dry.decision == "deny" and "no --dry-run" in dry.reason:
            execution.dry_run = f"(none: {dry.reason})"  # e.g. rollout restart
        elif not dry.ok:
            execution.output = f"refused: the server-side dry run failed: {dry.output}"
            return execution
        else:
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
