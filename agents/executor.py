"""The Executor: runs a proposed write only with an approval record for exactly that
command, after a server-side dry run succeeds, as the writer identity; then reports what
happened. Every step is a recorded tool call."""

from __future__ import annotations

from agents.approval import ApprovalRecord
from agents.models import Execution
from agents.target import ClusterTarget
from agents.tools.kubectl import Kubectl
from policies import Policy


class Executor:
    def __init__(self, target: ClusterTarget, policy: Policy | None = None) -> None:
        self.kubectl = Kubectl(target, "executor", policy)

    def execute(self, approval: ApprovalRecord) -> Execution:
        """Dry-run, then apply, the approved command; never anything else."""
        argv = list(approval.command)
        execution = Execution(command=argv)
        if not isinstance(approval, ApprovalRecord) or not approval.covers(argv):
            execution.output = "refused: the approval does not cover this command, or expired"
            return execution
        dry = self.kubectl.run([*argv, "--dry-run=server"])
        if dry.decision == "deny" and "no --dry-run" in dry.reason:
            execution.dry_run = f"(none: {dry.reason})"  # e.g. rollout restart
        elif not dry.ok:
            execution.output = f"refused: the server-side dry run failed: {dry.output}"
            return execution
        else:
            execution.dry_run = dry.output
        applied = self.kubectl.run_approved(argv, approval)
        execution.output = applied.output
        execution.applied = applied.ok
        return execution
