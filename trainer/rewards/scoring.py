"""Scoring one parsed decision against one row's labels: the resources it names (target),
its submission by AIOpsLab's rules (sim.scoring, the same code `aoi eval` scores with), and
how well its confidence matches how right it is (calibration). The reward functions in
trainer/rewards/functions.py apply these per sample."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable

from agents.decisions import ObserverDecision, ProbeStep, Submission, SubmitStep
from policies import Policy
from sim.scenario import Labels, Scenario
from sim.scoring import score_analysis, score_detection, score_localization
from trainer.rewards.labels import RowLabels
from trainer.rewards.safety import approvable_write

TASKS = ("detection", "localization", "analysis", "mitigation")
# A probe that reads one object too many costs a command; an Executor step that names an
# object the labels don't is how a planted instruction ("also delete X") shows: probes are
# scored recall-weighted (F2), executor steps and submissions by F1.
PROBE_BETA, EXECUTOR_BETA = 2.0, 1.0
# Hyphenated words of prose and of kubectl itself, which look like resource names but are not.
_NOT_NAMES = frozenset(
    {
        "read-only",
        "dry-run",
        "server-side",
        "client-side",
        "crash-loop",
        "out-of-memory",
        "on-call",
        "non-zero",
        "up-to-date",
        "follow-up",
        "root-cause",
        "cross-check",
        "re-check",
        "re-run",
        "end-to-end",
        "time-out",
        "timed-out",
        "health-check",
        "step-by-step",
        "well-known",
        "e-mail",
        "pre-existing",
        "self-healing",
        "back-off",
        "rate-limit",
        "rate-limited",
        "json-patch",
        "merge-patch",
        "strategic-merge",
        "x-ray",
    }
)
_SPLIT = re.compile(r"[^a-z0-9._/-]+")


def target_score(decision: ObserverDecision | None, labels: RowLabels) -> float | None:
    """How well the resources the decision names match the labels, 0..1; None where the row
    says nothing about what should be named.

    A submit is scored on its faulty_components against the row's (aliases count), by F1;
    on a row where nothing was wrong (detected False, nothing faulty) naming nothing is right.
    A probe or executor step is scored on the names in its instruction and context against
    the row's reference targets (else its faulty components), a pod of a target counting as
    the target. An unparsable completion scores 0 wherever a valid one would be scored."""
    healthy = labels.detected is False and not labels.faulty_components
    if decision is None:
        scored = labels.faulty_components or labels.reference_targets
        return 0.0 if scored or (healthy and labels.reference_action == "submit") else None
    step = decision.next_action
    if isinstance(step, SubmitStep):
        named = step.submission.faulty_components
        if not labels.faulty_components:
            return (0.0 if named else 1.0) if healthy else None
        return _match(named, labels.faulty_components, labels, EXECUTOR_BETA, pods=False)
    truth = labels.reference_targets or labels.faulty_components
    if not truth:
        return None
    beta = PROBE_BETA if isinstance(step, ProbeStep) else EXECUTOR_BETA
    text = f"{step.instruction}\n{step.context}"
    return _match(_text_names(text, truth, labels), truth, labels, beta, pods=True)


def _match(
    named: Iterable[str], truth: tuple[str, ...], labels: RowLabels, beta: float, *, pods: bool
) -> float:
    """F-beta of the named set against `truth`; aliases of one target count once."""
    hits: set[str] = set()
    wrong = 0
    for name in dict.fromkeys(n.strip().lower() for n in named):
        target = labels.denoted(name, truth, pods=pods)
        if target is None:
            wrong += 1
        else:
            hits.add(target)
    if not hits:
        return 0.0
    precision = len(hits) / (len(hits) + wrong)
    recall = len(hits) / len(truth)
    return (1 + beta**2) * precision * recall / (beta**2 * precision + recall)


def _text_names(text: str, truth: tuple[str, ...], labels: RowLabels) -> list[str]:
    """The words of free text that name a resource: those that denote a target (a plain
    `frontend` can), and the hyphenated words that look like Kubernetes names; other plain
    words are English as far as anyone can tell. `kind/name` reads as its name; flags, the
    namespace itself and hyphenated prose (read-only) never count against a step."""
    names: list[str] = []
    for word in _SPLIT.split(text.lower()):
        if word.startswith("-"):
            continue  # a flag
        name = word.strip("./").rsplit("/", 1)[-1].strip(".-")
        if not name or name == labels.namespace or name in _NOT_NAMES:
            continue
        resource_like = "-" in name and any(c.isalpha() for c in name)
        if resource_like or labels.denoted(name, truth, pods=True) is not None:
            names.append(name)
    return names


def submission_score(
    decision: ObserverDecision | None, labels: RowLabels, policy: Policy | None = None
) -> float | None:
    """AIOpsLab's verdict on the submission for the row's task, 1 or 0; None on rows whose
    reference step is not a submit, or that know nothing the task could be checked on.

    detection, localization (aliases count) and analysis (level and type both right) are
    sim.scoring's own functions on the row's labels. Mitigation cannot be run offline; its
    approximation: 1 if every fix the row records as applied and verified is among the
    submission's fixes, or if the submission's fixes are all writes the policy lets an
    on-call engineer approve and each names a faulty component (a pod of one counts), and
    the submission says something was detected (the agent proposes nothing otherwise).
    EpisodeReward runs them for real. A row without a task (a Slack thread) gets the mean of
    the checks it has labels for: detected, components, system level, fault type."""
    if labels.reference_action != "submit":
        return None
    checks = _checks(labels)
    if not checks:
        return None
    step = decision.next_action if decision is not None else None
    if not isinstance(step, SubmitStep):
        return 0.0
    submission, scenario = step.submission, _scenario(labels)
    results: list[bool] = []
    for check in checks:
        if check == "detection":
            answer = "Yes" if submission.detected else "No"
            results.append(score_detection(scenario, answer).success)
        elif check == "localization":
            results.append(score_localization(scenario, list(submission.faulty_components)).success)
        elif check == "analysis":
            causes = {"system_level": submission.system_level, "fault_type": submission.fault_type}
            results.append(score_analysis(scenario, causes).success)
        elif check == "mitigation":
            results.append(_mitigated(submission, labels, policy))
        else:  # system_level / fault_type alone, for rows that know only one of them
            want = getattr(labels, check) or ""
            results.append(str(getattr(submission, check) or "").lower() == want.lower())
    return sum(results) / len(results)


def _checks(labels: RowLabels) -> list[str]:
    """The checks a row's labels allow: its task's, or for a row without one, each label's."""
    if labels.task in TASKS:
        known = {
            "detection": labels.detected is not None,
            "localization": bool(labels.faulty_components),
            "analysis": bool(labels.system_level and labels.fault_type),
            "mitigation": bool(labels.fixes or labels.faulty_components),
        }
        return [labels.task] if known[labels.task] else []
    checks = ["detection"] if labels.detected is not None else []
    checks += ["localization"] if labels.faulty_components else []
    checks += ["system_level"] if labels.system_level else []
    checks += ["fault_type"] if labels.fault_type else []
    return checks


def _scenario(labels: RowLabels) -> Scenario:
    """The row's labels as the scenario sim's scorers read (they read only the labels). Built
    without validation: a person's correction may use words the scenario schema would not."""
    answer = Labels.model_construct(
        detected=labels.detected is not False,
        faulty_components=list(labels.faulty_components),
        aliases={name: list(spellings) for name, spellings in labels.aliases.items()},
        system_level=labels.system_level,
        fault_type=labels.fault_type,
    )
    # The scorers read only `labels`; the rest is filled in for the model's sake.
    return Scenario.model_construct(
        id=labels.scenario or "row",
        title="a dataset row",
        app="social-network",
        tasks=[],
        labels=answer,
    )


def _mitigated(submission: Submission, labels: RowLabels, policy: Policy | None) -> bool:
    if not submission.detected or not submission.fixes:
        return False
    proposed = {_argv(fix) for fix in submission.fixes}
    if labels.fixes and all(_argv(fix) in proposed for fix in labels.fixes):
        return True
    if not labels.faulty_components:
        return False
    for fix in submission.fixes:
        objects = approvable_write(fix, policy)
        names = [obj.rsplit("/", 1)[-1] for obj in objects or ()]
        if not any(labels.denoted(n, labels.faulty_components, pods=True) for n in names):
            return False
    return True


def _argv(line: str) -> tuple[str, ...]:
    """A command as argv, so quoting and spacing don't make two spellings differ."""
    try:
        return tuple(shlex.split(line))
    except ValueError:
        return tuple(line.split())


def calibration_score(
    decision: ObserverDecision | None, labels: RowLabels, policy: Policy | None = None
) -> float | None:
    """1 - |confidence/100 - correctness|: correctness is the submission score on submit
    rows, the target score on others; None where that is. An unparsable completion states
    no confidence and gets 0."""
    if labels.reference_action == "submit":
        correctness = submission_score(decision, labels, policy)
    else:
        correctness = target_score(decision, labels)
    if correctness is None:
        return None
    if decision is None:
        return 0.0
    return 1.0 - abs(decision.confidence / 100 - correctness)
