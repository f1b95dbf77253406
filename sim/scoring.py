"""Scoring a submission exactly as AIOpsLab does, per task type, plus a `verified` verdict for
mitigation that also requires the fault's cause to be gone."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sim.checks import CheckResult, run_check, sweep, wait_for_ready
from sim.kube.targets import Target
from sim.scenario import Scenario, TaskType

if TYPE_CHECKING:
    from sim.cluster import SimCluster


@dataclass(frozen=True)
class Score:
    task: TaskType
    success: bool
    detail: str
    accuracy: float | None = None  # localization: 100, 100/len, or 0
    verified: bool | None = None  # mitigation: cause gone too
    checks: list[CheckResult] = field(default_factory=list)


def score_detection(scenario: Scenario, submission: Any) -> Score:
    expected = "Yes" if scenario.labels.detected else "No"
    if not isinstance(submission, str):
        return Score("detection", False, 'Invalid Format: detection takes "Yes" or "No"')
    ok = submission.strip().lower() == expected.lower()
    return Score("detection", ok, f"expected {expected!r}, got {submission.strip()!r}")


def _variants(scenario: Scenario) -> list[list[str]]:
    """The target lists that count: the faulty set, and each alias spelling of it."""
    faulty = list(scenario.labels.faulty_components)
    variants = [faulty]
    for name, aliases in scenario.labels.aliases.items():
        for alias in aliases:
            variants.append([alias if c == name else c for c in faulty])
    return variants


def score_localization(scenario: Scenario, submission: Any) -> Score:
    if submission is None:
        return Score("localization", False, "no submission", accuracy=0.0)
    predicted = submission if isinstance(submission, list) else [submission]
    exact = subset = False
    for target in _variants(scenario):
        if len(target) == 1:
            exact |= predicted == target
        else:
            exact |= sorted(map(str, predicted)) == sorted(target)
        # AIOpsLab builds the set from the raw submission (a bare string becomes characters).
        with contextlib.suppress(TypeError):
            subset |= set(target).issubset(set(submission))
    size = len(submission) if isinstance(submission, (list, str)) else 1
    accuracy = 100.0 if exact else (100.0 / size if subset and size else 0.0)
    ok = exact or (subset and size == 1)
    return Score(
        "localization",
        ok,
        f"expected {scenario.labels.faulty_components}, got {submission!r}",
        accuracy=accuracy,
    )


def score_analysis(scenario: Scenario, submission: Any) -> Score:
    if not isinstance(submission, dict):
        return Score(
            "analysis",
            False,
            'Invalid Format: analysis takes {"system_level": ..., "fault_type": ...}',
        )
    level = str(submission.get("system_level", "")).strip().lower()
    kind = str(submission.get("fault_type", "")).strip().lower()
    want_level = (scenario.labels.system_level or "").lower()
    want_kind = (scenario.labels.fault_type or "").lower()
    ok = level == want_level and kind == want_kind
    return Score(
        "analysis",
        ok,
        f"expected {scenario.labels.system_level}/"
        f"{scenario.labels.fault_type}, got {submission.get('system_level')}/"
        f"{submission.get('fault_type')}",
    )


def score_mitigation(
    cluster: SimCluster, scenario: Scenario, namespace: str, *, settle_seconds: float = 60.0
) -> Score:
    """AIOpsLab's oracle on the cluster as it is now; then, after `settle_seconds` of
    emulated time, whether every pod is healthy and the scenario's cause checks pass."""
    spec = scenario.mitigation
    if spec is None:
        return Score("mitigation", False, "this scenario has no mitigation task")
    results: list[CheckResult] = []
    if spec.sweep == "wait_for_ready":
        results.append(wait_for_ready(cluster, namespace))
    else:
        for item in spec.aiopslab_checks:
            results.append(run_check(cluster, namespace, item.check, item.params))
            if not results[-1].passed:
                break
        else:
            results.append(sweep(cluster.api.list(Target.of("Pod", namespace)), spec.sweep))
    success = all(r.passed for r in results)
    if settle_seconds:
        cluster.advance(settle_seconds)
    verification = [run_check(cluster, namespace, "all_pods_healthy", {})]
    verification += [run_check(cluster, namespace, item.check, item.params) for item in spec.verify]
    verified = success and all(r.passed for r in verification)
    failed = [r.detail for r in results + verification if not r.passed]
    return Score(
        "mitigation",
        success,
        "; ".join(failed) or "mitigated",
        verified=verified,
        checks=results + verification,
    )


def score(
    cluster: SimCluster, scenario: Scenario, namespace: str, task: TaskType, submission: Any
) -> Score:
    if task == "detection":
        return score_detection(scenario, submission)
    if task == "localization":
        return score_localization(scenario, submission)
    if task == "analysis":
        return score_analysis(scenario, submission)
    return score_mitigation(cluster, scenario, namespace)
