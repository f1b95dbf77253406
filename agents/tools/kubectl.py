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
from policies.policy import RedactionRules
from policies.redaction import redact

# kubectl lives a fraction of a second: collecting its garbage is work thrown away (10-20% of
# its CPU, bench/README.md). The collector runs only if the heap nears the soft limit, so a
# huge output still fits; the operator's own GOGC or GOMEMLIMIT wins.
GO_RUNTIME = {"GOGC": "off", "GOMEMLIMIT": "512MiB"}


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
        call, decision = self.decide(argv)
        if decision == "allow":
            self._execute(call, argv)
        self.calls.append(call)
        return call

    def run_approved(self, argv: list[str], approval: object) -> ToolCall:
        """Run a write the policy says needs an approval, given the record for it."""
        from agents import manifests
        from agents.approval import ApprovalRecord

        call, decision = self.decide(argv)
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

    def decide(self, argv: list[str]) -> tuple[ToolCall, str]:
        """The policy's decision for this role, as the call's first record (nothing runs)."""
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
        if self.target.kubectl_cache is not None:
            identity.append(f"--cache-dir={self.target.kubectl_cache}")
        command = [self.binary, *identity, *argv[1:]]
        started = time.monotonic()
        try:
            done = subprocess.run(
                command,
                capture_output=True,
                text=True,
                timeout=self.timeout,
                env={**GO_RUNTIME, **os.environ, "KUBECONFIG": str(self.target.kubeconfig)},
                check=False,
            )
            text, code = done.stdout + done.stderr, done.returncode
        except subprocess.TimeoutExpired as exc:
            partial = exc.stdout.decode() if isinstance(exc.stdout, bytes) else exc.stdout or ""
            text, code = partial + f"\n[stopped after {self.timeout:g} s]", 124
        except OSError as exc:
            text, code = f"cannot run kubectl: {exc.strerror}", 127
        rules = self.policy.redaction if self.policy else None
        if argv[1:2] == ["logs"] and "--prefix" in argv:
            text, call.redacted = _redact_streams(text, rules)
        else:
            cleaned = redact(text, rules)
            text, call.redacted = cleaned.text, cleaned.total
        finish(call, text, code, started, self.limit)


def split_prefixed(text: str) -> dict[tuple[str, str], list[str]]:
    """(pod, container) -> lines, from `kubectl logs --prefix` output (`[pod/P/C] line`), in
    the order the streams first appear; lines without such a prefix (kubectl's own
    messages) are filed under ("", "")."""
    streams: dict[tuple[str, str], list[str]] = {}
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for line in lines:
        key, body = ("", ""), line
        if line.startswith("[pod/"):
            end = line.find("] ")
            parts = line[5:end].split("/") if end > 0 else []
            if len(parts) == 2:
                key, body = (parts[0], parts[1]), line[end + 2 :]
        streams.setdefault(key, []).append(body)
    return streams


def _redact_streams(text: str, rules: RedactionRules | None) -> tuple[str, int]:
    """Prefixed logs of several containers, each container's lines redacted on their own, as
    reading that container alone would have them: a secret spanning lines (a PEM block)
    is still found whole, and no prefix or neighbour's line is taken into a match."""
    out: list[str] = []
    total = 0
    for (pod, container), lines in split_prefixed(text).items():
        cleaned = redact("".join(line + "\n" for line in lines), rules)
        total += cleaned.total
        prefix = f"[pod/{pod}/{container}] " if pod else ""
        body = cleaned.text.removesuffix("\n")  # a mask may have taken the last newline
        out += [prefix + line + "\n" for line in body.split("\n")]
    return "".join(out), total
