"""The Executor's planning half: a fix strategy from the Observer becomes concrete write
commands (the model writes them), each checked by the policy for the executor role and tried
with a server-side dry run. Nothing is applied here: a command that passes becomes a proposal,
which runs only after a person approves it (agents.executor).

Errors get the paper's two-stage recovery: first the model sees the error and corrects its
command; if that fails too, it must try a different method. After that the failure goes back
to the Observer, with every error, as context."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field

from agents.decisions import ExecutorPlan
from agents.llm import LLMClient
from agents.models import ProposedAction
from agents.target import ClusterTarget
from agents.tools.kubectl import Kubectl
from agents.tools.record import ToolCall
from policies import Policy, classify_command

STAGES = (
    "",
    "Your command failed as shown. Analyse the error and correct the command.",
    "Both attempts failed. Use a different method to reach the same goal.",
)


@dataclass
class ExecutorAttempt:
    stage: int
    plan: ExecutorPlan
    calls: list[ToolCall] = field(default_factory=list)  # the dry runs
    accepted: list[list[str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass
class ExecutorResult:
    proposals: list[ProposedAction] = field(default_factory=list)
    attempts: list[ExecutorAttempt] = field(default_factory=list)

    @property
    def calls(self) -> list[ToolCall]:
        return [c for a in self.attempts for c in a.calls]

    @property
    def ok(self) -> bool:
        return bool(self.proposals)


class ExecutorPlanner:
    def __init__(
        self,
        target: ClusterTarget,
        client: LLMClient,
        policy: Policy | None = None,
        *,
        reply_tokens: int = 256,
    ) -> None:
        if not target.namespace:
            raise ValueError("the Executor needs the incident's namespace")
        self.namespace: str = target.namespace
        self.client = client
        self.policy = policy
        self.reply_tokens = reply_tokens
        self.kubectl = Kubectl(target, "executor", policy)

    def propose(self, strategy: str, context: str) -> ExecutorResult:
        """Proposals for `strategy` that the policy would let someone approve and the API
        server accepts in a dry run, after at most two recoveries."""
        result = ExecutorResult()
        history = f"Strategy: {strategy}\nContext: {context}"
        for stage, nudge in enumerate(STAGES):
            if stage:
                last = result.attempts[-1]
                history += (
                    f"\nAttempt {stage}: {last.plan.commands}\nErrors:\n"
                    + "\n".join(last.errors)
                    + f"\n{nudge}"
                )
            reply = self.client.structured(
                [
                    {"role": "system", "content": executor_prompt(self.namespace)},
                    {"role": "user", "content": history},
                ],
                ExecutorPlan,
                max_tokens=self.reply_tokens,
                purpose="executor",
            )
            attempt = self.try_plan(stage, reply.value)
            result.attempts.append(attempt)
            if not attempt.errors:
                result.proposals = [
                    ProposedAction(
                        command=argv,
                        rationale=reply.value.rationale or strategy,
                        action_class=classify_command(argv, "executor", self.policy).action_class,
                    )
                    for argv in attempt.accepted
                ]
                return result
        return result

    def try_plan(self, stage: int, plan: ExecutorPlan) -> ExecutorAttempt:
        """Policy check and server-side dry run of every command of a plan."""
        attempt = ExecutorAttempt(stage, plan)
        for line in plan.commands:
            try:
                argv = shlex.split(line)
            except ValueError as exc:
                attempt.errors.append(f"{line}: cannot split into words: {exc}")
                continue
            decision = classify_command(argv, "executor", self.policy)
            if decision.decision != "needs_approval":
                attempt.errors.append(f"{line}: the policy refuses it: {decision.reason}")
                continue
            dry = self.kubectl.run([*argv, "--dry-run=server"])
            attempt.calls.append(dry)
            if dry.ok or (dry.decision == "deny" and "no --dry-run" in dry.reason):
                attempt.accepted.append(argv)  # e.g. rollout restart, which cannot dry-run
            else:
                attempt.errors.append(f"{line}: dry run failed: {dry.output or dry.reason}")
        return attempt


def executor_prompt(namespace: str) -> str:
    return (
        "You are the Executor of an SRE team. Turn the fix strategy into concrete kubectl "
        f"write commands for namespace {namespace}, one per list item, at most three. Name the "
        "namespace with -n and each object by name. Allowed: patch, set image|env|resources, "
        "scale --current-replicas=N --replicas=M, rollout undo|restart, delete pod, label, "
        "annotate, cordon/uncordon. Never touch Secrets, RBAC or the cluster's nodes beyond "
        "cordon. No shell. Each command is dry-run on the server, then waits for a person's "
        "approval; say in the rationale why it fixes the root cause."
    )
