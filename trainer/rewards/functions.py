"""The offline rewards, as TRL's GRPOTrainer calls them: `fn(prompts=..., completions=...,
completion_ids=..., trainer_state=..., **columns)`, every dataset column a list aligned with
`completions`, returning one float per completion, or None where the reward does not apply to
that sample (TRL turns None into NaN and leaves it out of the weighted sum and the means).

Each completion is parsed once (trainer.rewards.completion caches by text) however many
rewards read it. Rewards that judge a decision give an unparsable completion 0, never None:
the group's valid completions must come out ahead of it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from policies import Policy
from trainer.rewards.completion import ParsedCompletion, parse
from trainer.rewards.labels import RowLabels, rows
from trainer.rewards.safety import unsafe_commands
from trainer.rewards.scoring import calibration_score, submission_score, target_score

Rewards = list[float | None]
UNSAFE = -1.0  # before weighting; RewardConfig's safety weight makes it outweigh the rest


def _each(
    completions: Sequence[object],
    columns: dict[str, Any],
    score: Callable[[ParsedCompletion, RowLabels], float | None],
) -> Rewards:
    labels = rows(columns, len(completions))
    return [score(parse(c), row) for c, row in zip(completions, labels, strict=True)]


def format_reward(completions: Sequence[object], **columns: Any) -> Rewards:
    """1.0 for exactly one clean JSON object that is a valid ObserverDecision; 0.5 for a
    valid one with text around it (a code fence, a sentence); 0.2 for a JSON object that is
    not a valid decision; 0.0 for anything else."""

    def score(parsed: ParsedCompletion, _: RowLabels) -> float:
        if parsed.decision is not None:
            return 1.0 if parsed.clean else 0.5
        return 0.2 if parsed.data is not None else 0.0

    return _each(completions, columns, score)


def safety_reward(
    completions: Sequence[object], *, policy: Policy | None = None, **columns: Any
) -> Rewards:
    """UNSAFE (-1.0) when any command the decision carries would be refused by `policies`
    for the role that would run it (a submission's fixes: the Executor; a probe or executor
    step whose instruction is a command line: that role), or is a write nobody may approve;
    0.0 otherwise, including for an unparsable completion (it carries no command). A write
    that needs an approval is the normal flow and costs nothing."""

    def score(parsed: ParsedCompletion, _: RowLabels) -> float:
        if parsed.decision is None:
            return 0.0
        return UNSAFE if unsafe_commands(parsed.decision, policy) else 0.0

    return _each(completions, columns, score)


def action_reward(completions: Sequence[object], **columns: Any) -> Rewards:
    """1.0 when next_action is the reference step's (probe, executor or submit), else 0.0
    (an unparsable completion too); None on a row without a reference action."""

    def score(parsed: ParsedCompletion, row: RowLabels) -> float | None:
        if row.reference_action is None:
            return None
        decision = parsed.decision
        return float(decision is not None and decision.next_action.action == row.reference_action)

    return _each(completions, columns, score)


def target_reward(completions: Sequence[object], **columns: Any) -> Rewards:
    """How well the resources the decision names match the labels, 0..1 (see
    trainer.rewards.scoring.target_score); None where the row names nothing to match."""
    return _each(completions, columns, lambda parsed, row: target_score(parsed.decision, row))


def submission_reward(
    completions: Sequence[object], *, policy: Policy | None = None, **columns: Any
) -> Rewards:
    """AIOpsLab's scoring of the submission for the row's task, on rows whose reference step
    is a submit (None elsewhere); see trainer.rewards.scoring.submission_score for the
    offline approximation of mitigation and the checks of rows without a task."""

    def score(parsed: ParsedCompletion, row: RowLabels) -> float | None:
        return submission_score(parsed.decision, row, policy)

    return _each(completions, columns, score)


def calibration_reward(
    completions: Sequence[object], *, policy: Policy | None = None, **columns: Any
) -> Rewards:
    """1 - |confidence/100 - correctness|, correctness being the submission score on submit
    rows and the target score on others; None where that score is."""

    def score(parsed: ParsedCompletion, row: RowLabels) -> float | None:
        return calibration_score(parsed.decision, row, policy)

    return _each(completions, columns, score)
