"""kubectl as a tool: the agent proposes argv, `policies` decides for the agent's role, and
only then does the real binary run (never a shell), with the target's kubeconfig and the
role's identity added by this trusted code, a timeout, redaction and an output cap."""

from __future__ import annotations

import os
import shutil
import subprocess
import time

from agents.target import ClusterTarget
from agents.tools.record import DEFAULT_CAP, ToolCall, finish
from policies import Policy, Role, classify_command
from policies.redaction import redact


class Kubectl:
    def __init__(
        self,
        target: ClusterTarget,
        role: Role,
        policy: Policy | None = None,
        *,
        timeout: float = 30.0,
        limit: int = DEFAULT_CAP,
        channel: str | None = None,
    ) -> None:
        self.target = target
        self.role = role
        self.policy = policy
        self.timeout = timeout
        self.limit = limit
        self.channel = channel
        self.binary = shutil.which("kubectl") or "kubectl"
        self.calls: list[ToolCall] = []

    def run(self, argv: list[str]) -> ToolCall:
        """Decide, then run an allowed command; a refused one is recorded, never run.
        Writes that need an approval are not run here: the Executor's approval flow does."""
        call, decision = self._decide(argv)
        if decision == "allow":
            self._execute(call, argv)
        self.calls.append(call)
        return call

    def run_approved(self, argv: list[str], approval: object) -> ToolCall:
        """Run a write the policy says needs an approval, given the record for it."""
        from agents import manifests
        from agents.approval import ApprovalRecord

        call, decision = self._decide(argv)
        # For an apply, what the file holds at this last moment is what must be approved.
        on_disk = manifests.read(manifests.applied_file(argv))
        approved = (
            approval
            if isinstance(approval, ApprovalRecord) and approval.covers(argv, on_disk)
            else None
        )
        if approved is None:
            call.reason = "refused: no approval record covers this command"
        elif decision != "needs_approval":
            call.reason = f"refused: {call.reason}"
        else:
            call.reason = f"approved by {approved.approver}"
            self._execute(call, argv)
        self.calls.append(call)
        return call

    def _decide(self, argv: list[str]) -> tuple[ToolCall, str]:
        """The policy's decision for this role, as the call's first record."""
        decision = classify_command(argv, self.role, self.policy, self.channel)
        call = ToolCall(
            tool="kubectl",
            request=list(argv),
            role=self.role,
            decision=decision.decision,
            reason=decision.reason,
        )
        return call, decision.decision

    def _execute(self, call: ToolCall, argv: list[str]) -> None:
        identity = [f"--kubeconfig={self.target.kubeconfig}"]
        context = self.target.context_for(self.role)
        if context:
            identity.append(f"--context={context}")
        command = [self.binary, *identity, *argv[1:]]
        started = time.monotonic()
        try:
            done = subprocess.run(
                command,
                capture_output=True,
                text=True,
                timeout=self.timeout,
                env={**os.environ, "KUBECONFIG": str(self.target.kubeconfig)},
                check=False,
            )
            text, code = done.stdout + done.stderr, done.returncode
        except subprocess.TimeoutExpired as exc:
            partial = exc.stdout.decode() if isinstance(exc.stdout, bytes) else exc.stdout or ""
            text, code = partial + f"\n[stopped after {self.timeout:g} s]", 124
        except OSError as exc:
            text, code = f"cannot run kubectl: {exc.strerror}", 127
        cleaned = redact(text, self.policy.redaction if self.policy else None)
        call.redacted = cleaned.total
        finish(call, cleaned.text, code, started, self.limit)
