"""A trajectory's Observer decision points, each with the view the Observer had there,
rebuilt from what the trajectory kept (agents/llm_agent.py is the reference):

- point 1: the alert, the namespace, and the Compressor's output over the first look (the
  rules agent's surface scan and depth read, trajectory iterations 0 and 1): the stored
  `compressed` of iteration 1 for `llm` trajectories, else recomputed deterministically
  (`Compressor(context_tokens, None)`, no model) from the first look's calls and signals;
- point n > 1 (`llm` trajectories only, one per later iteration): the summaries of decisions
  1..n-1, the previous iteration's `compressed` (with the agent's note when that reply was
  unusable), and the proposals so far. Proposals are not stored as such; they are rebuilt as
  the agent's Executor accepted them: in an executor iteration whose context says proposals
  were ready, the trailing run of dry runs the planner accepts, without `--dry-run=server`.

Reference actions: `submit` at the last decision point (whatever the run did there, the
labels say what the submission should be). At earlier points, the action the Observer took,
but only when the run succeeded and the Observer itself submitted (not the analyzers'
fallback); points of other runs are skipped, since nothing says what should have been done
there. Reference targets: for `submit`, the faulty components; for a probe or executor step,
the objects of the namespace (as the trajectory's `kubectl get` reads showed them) that its
instruction and context name.

Every text of a view, and the fixes and correction, pass `policies.redaction.redact`."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict

from agents.compressor import Compressor
from agents.decisions import ExecutorStep, SubmitStep
from agents.llm_agent import Budgets
from agents.models import Iteration, Trajectory
from agents.observer import ObserverView
from agents.tools.record import ToolCall
from policies.redaction import redact
from trainer.datasets.targets import mentioned, object_names
from trainer.datasets.truth import GroundTruth
from trainer.decision_points import Action, DecisionPoint

FIRST_LOOK = 2  # the rules agent's iterations (surface scan, depth) before any decision
MAX_ITERATIONS = Budgets().max_iterations
CONTEXT_TOKENS = Budgets().context_tokens
# What agents/llm_agent.py writes at the head of an executor iteration's context when the
# Executor's plan passed, and what it puts before the context after an unusable reply.
PROPOSALS_READY = "Executor: proposals ready for approval.\n"
_UNUSABLE_NOTE = re.compile(r"^iteration (\d+): (.*)$", re.DOTALL)


def decision_points(
    trajectory: Trajectory,
    truth: GroundTruth,
    *,
    max_iterations: int = MAX_ITERATIONS,
    context_tokens: int = CONTEXT_TOKENS,
) -> list[DecisionPoint]:
    """The trajectory's decision points that have a trustworthy reference (see the module's
    docstring for the rules), each with its rebuilt view and `truth`."""
    points, _ = rebuild(
        trajectory, truth, max_iterations=max_iterations, context_tokens=context_tokens
    )
    return points


def rebuild(
    trajectory: Trajectory,
    truth: GroundTruth,
    *,
    max_iterations: int = MAX_ITERATIONS,
    context_tokens: int = CONTEXT_TOKENS,
) -> tuple[list[DecisionPoint], Counter[str]]:
    """`decision_points`, and the points left out, counted by why."""
    skipped: Counter[str] = Counter()
    if len(trajectory.iterations) < FIRST_LOOK:
        skipped["trajectory without a first look (the investigation never ran)"] += 1
        return [], skipped
    views = _views(trajectory, max_iterations, context_tokens)
    # A rules trajectory has no Observer iteration, yet one point: the view after its first look.
    observed: list[Iteration | None] = [*trajectory.iterations[FIRST_LOOK:]] or [None]
    submitted = any(
        i.decision is not None and isinstance(i.decision.next_action, SubmitStep)
        for i in trajectory.iterations
    )
    trusted = truth.succeeded and submitted
    names: set[str] | None = None  # parsed only when a probe or executor step needs them
    points: list[DecisionPoint] = []
    for n, (view, iteration) in enumerate(zip(views, observed, strict=True), 1):
        action: Action = "submit"
        targets = list(truth.faulty_components)
        if n < len(views):
            if not trusted:
                skipped["earlier point of a run that failed (no trustworthy reference)"] += 1
                continue
            if iteration is None or iteration.decision is None:
                skipped["earlier point with an unusable reply"] += 1
                continue
            step = iteration.decision.next_action
            action = step.action
            if not isinstance(step, SubmitStep):
                if names is None:
                    names = object_names(c for i in trajectory.iterations for c in i.calls)
                targets = mentioned(f"{step.instruction}\n{step.context}", names)
        points.append(_point(trajectory, truth, view, n, action, targets))
    return points, skipped


def _views(trajectory: Trajectory, max_iterations: int, context_tokens: int) -> list[ObserverView]:
    """The view at each Observer iteration, as the llm agent built it."""
    first = trajectory.iterations[:FIRST_LOOK]
    observed = trajectory.iterations[FIRST_LOOK:]
    context = first[-1].compressed or Compressor(context_tokens, None).compress(
        [c for i in first for c in i.calls], first[-1].signals
    )
    # A trajectory longer than the parameter had a larger budget: never "16 of 15".
    budget = max(max_iterations, len(observed))
    alert, namespace = alert_text(trajectory), namespace_of(trajectory)
    unusable = _unusable_replies(trajectory.notes)
    summaries: list[str] = []
    proposals: list[str] = []
    views: list[ObserverView] = []
    for n in range(1, max(len(observed), 1) + 1):
        views.append(
            ObserverView(
                alert=_clean(alert),
                namespace=namespace,
                iteration=n,
                max_iterations=budget,
                context=_clean(context),
                summaries=[_clean(s) for s in summaries],
                proposals=[_clean(p) for p in proposals],
            )
        )
        if n > len(observed):
            break
        iteration = observed[n - 1]
        if iteration.decision is None:
            if n in unusable:
                context = f"(your last reply was unusable: {unusable[n]})\n{context}"
            continue
        summaries.append(iteration.decision.summary)
        proposals += [p for p in _proposals(iteration) if p not in proposals]
        context = iteration.compressed
    return views


def _point(
    trajectory: Trajectory,
    truth: GroundTruth,
    view: ObserverView,
    n: int,
    action: Action,
    targets: list[str],
) -> DecisionPoint:
    return DecisionPoint(
        view=asdict(view),
        source=truth.source,
        trajectory_id=trajectory.id,
        iteration=n,
        scenario=truth.scenario,
        family=truth.family,
        task=truth.task,
        namespace=view.namespace,
        reference_action=action,
        reference_targets=targets,
        detected=truth.detected,
        faulty_components=list(truth.faulty_components),
        aliases={k: list(v) for k, v in truth.aliases.items()},
        system_level=truth.system_level,
        fault_type=truth.fault_type,
        fixes=[_clean(f) for f in truth.fixes],
        correction=_clean(truth.correction),
    )


def alert_text(trajectory: Trajectory) -> str:
    """The alert as the agent was given it: eval runs store that text (the rules agent got
    none); the bot stores the `Alert` itself, whose `prompt()` the agent got."""
    alert = trajectory.alert
    if alert is None or isinstance(alert, str):
        return alert or ""
    from pydantic import ValidationError

    # bot.alerts only for how it renders an alert: the bot never imports the trainer.
    from bot.alerts import Alert

    try:
        return Alert.model_validate(alert).prompt()
    except ValidationError:  # an alert saved by another version of the bot
        return str(alert.get("title") or alert.get("summary") or "")


def namespace_of(trajectory: Trajectory) -> str:
    """The investigated namespace: the target's, else the alert's label."""
    if trajectory.target.get("namespace"):
        return str(trajectory.target["namespace"])
    if isinstance(trajectory.alert, dict):
        labels = trajectory.alert.get("labels")
        if isinstance(labels, dict) and labels.get("namespace"):
            return str(labels["namespace"])
    return ""


def _proposals(iteration: Iteration) -> list[str]:
    """The commands an executor iteration's plan got accepted, as the view lists them."""
    decision = iteration.decision
    if decision is None or not isinstance(decision.next_action, ExecutorStep):
        return []
    if not iteration.compressed.startswith(PROPOSALS_READY):
        return []
    # The accepted plan is the last attempt, and every dry run of it passed: the trailing
    # run of accepted calls (earlier attempts failed on at least one command).
    accepted: list[ToolCall] = []
    for call in reversed(iteration.calls):
        if not _accepted(call):
            break
        accepted.insert(0, call)
    commands: list[str] = []
    for call in accepted:
        line = " ".join(a for a in call.request if a != "--dry-run=server")
        if line not in commands:
            commands.append(line)
    return commands


def _accepted(call: ToolCall) -> bool:
    # agents/executor_plan.py: a command that cannot dry-run (rollout restart) still passes.
    return call.ok or (call.decision == "deny" and "no --dry-run" in call.reason)


def _unusable_replies(notes: list[str]) -> dict[int, str]:
    """The error of each unusable reply, by iteration, from the agent's notes."""
    found: dict[int, str] = {}
    for note in notes:
        match = _UNUSABLE_NOTE.match(note)
        if match:
            found[int(match.group(1))] = match.group(2)
    return found


def _clean(text: str) -> str:
    return redact(text).text
