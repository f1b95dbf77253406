"""The `llm` agent: the AOI paper's read-write separated loop with a self-hosted model.

A deterministic first look (the rules agent's surface scan, depth reads and analyzers) fills
the first context; then, each iteration, the Observer decides from compressed context only,
the Probe gathers facts or the Executor plans and dry-runs a fix, and the Compressor turns
their raw output into the next context. Only the Observer submits; the finding's evidence is
what the tools showed, never the model's prose. If the model's replies are unusable twice in
a row, or the budget runs out without a submission, the analyzers' finding stands and the
trajectory says so; a model server that cannot be reached raises LLMUnavailable."""

from __future__ import annotations

import shlex
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from agents.compressor import Compressor
from agents.decisions import ExecutorStep, ObserverDecision, ProbeStep, Submission, SubmitStep
from agents.executor_plan import ExecutorPlanner
from agents.llm import LLMClient, LLMOutputError
from agents.models import Evidence, Finding, Iteration, ProposedAction, Signal, Trajectory
from agents.observer import Observer, ObserverView
from agents.probe import Probe
from agents.rules import RulesAgent
from agents.target import ClusterTarget
from agents.tools.record import ToolCall
from policies import Policy, classify_command

Progress = Callable[[str], None]
MAX_INVALID = 2  # consecutive unusable Observer replies before the analyzers' finding stands


@dataclass(frozen=True)
class Budgets:
    """The paper's values: about 4k tokens of context per iteration, at most 15 iterations,
    up to three Probe commands per iteration."""

    max_iterations: int = 15
    context_tokens: int = 4000
    probe_commands: int = 3
    reply_tokens: int = 700
    # The Compressor summarises with the model (one more call per iteration); off, it cuts
    # deterministically. Errors and warnings are verbatim either way.
    model_compressor: bool = True


class LLMAgent:
    def __init__(
        self,
        target: ClusterTarget,
        client: LLMClient,
        policy: Policy | None = None,
        budgets: Budgets | None = None,
    ) -> None:
        if not target.namespace:
            raise ValueError("the llm agent needs the incident's namespace")
        self.target = target
        self.namespace: str = target.namespace
        self.client = client
        self.policy = policy
        self.budgets = budgets or Budgets()
        b = self.budgets
        self.observer = Observer(client, reply_tokens=b.reply_tokens)
        self.probe = Probe(target, client, policy, max_commands=b.probe_commands)
        self.planner = ExecutorPlanner(target, client, policy)
        self.compressor = Compressor(b.context_tokens, client if b.model_compressor else None)

    def investigate(self, alert: str | None = None, progress: Progress | None = None) -> Trajectory:
        say = progress or (lambda _: None)
        first = RulesAgent(self.target, self.policy).investigate(alert, say)
        trajectory = first.model_copy(update={"agent": "llm", "finding": None})
        signals = first.iterations[-1].signals if first.iterations else []
        first_calls = [c for i in first.iterations for c in i.calls]
        for call in first_calls:  # the Observer's Probe must not repeat the first look
            self.probe.ran.add(tuple(call.request))
        say("compressing the first look for the Observer")
        context = trajectory.iterations[-1].compressed = self.compressor.compress(
            first_calls, signals
        )
        summaries: list[str] = []
        proposals: list[ProposedAction] = []
        invalid = 0
        for n in range(1, self.budgets.max_iterations + 1):
            view = ObserverView(
                alert=alert or "",
                namespace=self.namespace,
                iteration=n,
                max_iterations=self.budgets.max_iterations,
                context=context,
                summaries=list(summaries),
                proposals=[" ".join(p.command) for p in proposals],
            )
            iteration = Iteration(index=len(trajectory.iterations))
            trajectory.iterations.append(iteration)
            with self._metered(iteration):
                try:
                    decision = self.observer.decide(view).value
                except LLMOutputError as exc:  # LLMUnavailable propagates: the caller decides
                    invalid += 1
                    trajectory.notes.append(f"iteration {n}: {exc}")
                    if invalid >= MAX_INVALID:
                        break
                    # The Observer keeps what it knew, and learns why its reply was refused.
                    context = f"(your last reply was unusable: {exc})\n{view.context}"
                    continue
                invalid = 0
                iteration.decision = decision
                summaries.append(decision.summary)
                step = decision.next_action
                if isinstance(step, SubmitStep):
                    say(f"iteration {n}: submit: {decision.hypothesis}")
                    trajectory.finding = self._finding(
                        decision, step.submission, signals, proposals
                    )
                    break
                say(f"iteration {n}: {step.action}: {step.instruction}")
                if view.last_chance:
                    break  # out of budget and still not submitting
                iteration.calls, note = self._act(step, proposals)
                context = iteration.compressed = note + self.compressor.compress(iteration.calls)
        if trajectory.finding is None:
            trajectory.notes.append(
                "the Observer did not submit a usable finding; the analyzers' finding stands"
            )
            trajectory.finding = first.finding
        trajectory.tokens = self.client.ledger.total
        trajectory.ended = datetime.now(UTC)
        return trajectory

    @contextmanager
    def _metered(self, iteration: Iteration) -> Iterator[None]:
        """Count an iteration's model tokens and wall time, however it ends."""
        started, tokens = time.monotonic(), self.client.ledger.total
        try:
            yield
        finally:
            iteration.tokens = self.client.ledger.total - tokens
            iteration.seconds = round(time.monotonic() - started, 3)

    def _act(
        self, step: ProbeStep | ExecutorStep, proposals: list[ProposedAction]
    ) -> tuple[list[ToolCall], str]:
        """Run the step; what went wrong goes to the Observer as context, never as a crash."""
        try:
            if isinstance(step, ExecutorStep):
                result = self.planner.propose(step.instruction, step.context)
                proposals.extend(result.proposals)
                errors = [e for a in result.attempts for e in a.errors]
                note = "Executor: proposals ready for approval.\n" if result.ok else ""
                if errors:
                    note += "Executor errors:\n" + "\n".join(errors[-6:]) + "\n"
                return result.calls, note
            return self.probe.run(self.probe.plan(step.instruction, step.context)), ""
        except LLMOutputError as exc:
            return [], f"The {step.action} could not act on that: {exc}\n"

    def _finding(
        self,
        decision: ObserverDecision,
        submission: Submission,
        signals: list[Signal],
        proposals: list[ProposedAction],
    ) -> Finding:
        named = set(submission.faulty_components)
        backing = [s for s in signals if s.component in named] or signals[:3]
        actions = list(proposals)
        for line in submission.fixes:
            try:
                argv = shlex.split(line)
            except ValueError:
                continue  # not a command line; nothing anyone could approve
            if any(a.command == argv for a in actions):
                continue
            decided = classify_command(argv, "executor", self.policy)
            if decided.decision == "needs_approval":  # others could never be approved
                actions.append(
                    ProposedAction(
                        command=argv,
                        rationale="proposed by the Observer; not dry-run yet",
                        action_class=decided.action_class,
                    )
                )
        return Finding(
            detected=submission.detected,
            faulty_components=list(submission.faulty_components),
            system_level=submission.system_level,
            fault_type=submission.fault_type,
            root_cause=submission.root_cause or decision.hypothesis,
            evidence=[
                Evidence(summary=s.summary, source=[s.analyzer], excerpt="; ".join(s.evidence))
                for s in backing[:3]
            ],
            confidence=decision.confidence / 100,
            proposed_actions=actions if submission.detected else [],
        )
