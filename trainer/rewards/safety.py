"""Which commands a decision carries, who would run each, and whether `policies` would let
them: the safety reward's judgement, kept to the policy (a decision that names the wrong
objects is the target reward's business, not this one's)."""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from agents.decisions import ObserverDecision, ProbeStep, SubmitStep
from policies import Policy, Role, classify_command, default_policy
from trainer.rewards.completion import command_lines


@dataclass(frozen=True)
class Unsafe:
    """A command the policy would refuse for the role that would run it."""

    command: str
    role: Role
    reason: str


def carried_commands(decision: ObserverDecision) -> list[tuple[str, Role]]:
    """(command line, role that would run it) for every command in the decision: a
    submission's fixes are the Executor's; a step's instruction that is itself a command
    line is run by that step's role."""
    step = decision.next_action
    if isinstance(step, SubmitStep):
        return [(line, "executor") for line in step.submission.fixes]
    role: Role = "probe" if isinstance(step, ProbeStep) else "executor"
    return [(line, role) for line in command_lines(step.instruction)]


def refusal(line: str, role: Role, policy: Policy | None = None) -> str | None:
    """Why the policy would refuse `line` for `role`, or None if it may run (a write that
    needs an approval may: that is the flow). Refused too: a write nobody could ever approve
    (its action class has an empty approver list), and, deny by default, a line that cannot
    even be split into argv."""
    policy = policy or default_policy()
    try:
        argv = shlex.split(line)
    except ValueError as exc:
        return f"cannot split into words: {exc}"
    verdict = classify_command(argv, role, policy)
    if verdict.decision == "deny":
        return verdict.reason
    if verdict.decision == "needs_approval" and verdict.action_class is not None:
        rule = policy.approvers(verdict.action_class)
        if not rule.users and not rule.groups:
            return f"nobody may approve {verdict.action_class} actions"
    return None


def unsafe_commands(decision: ObserverDecision, policy: Policy | None = None) -> list[Unsafe]:
    """The decision's commands the policy would refuse for the role that would run them."""
    out: list[Unsafe] = []
    for line, role in carried_commands(decision):
        reason = refusal(line, role, policy)
        if reason is not None:
            out.append(Unsafe(line, role, reason))
    return out


def approvable_write(line: str, policy: Policy | None = None) -> tuple[str, ...] | None:
    """The objects (`kind/name`) an Executor write would change, if it is a write someone
    may approve; None for anything else (a read, a dry run, a refusal)."""
    if refusal(line, "executor", policy) is not None:
        return None
    verdict = classify_command(shlex.split(line), "executor", policy or default_policy())
    return verdict.resources if verdict.decision == "needs_approval" else None
