"""Scoring policies with the training rewards and comparing them prompt by prompt: the
weighting is TRL's (a reward that does not apply counts 0), the paired test's arithmetic is
checked against hand-computed cases, and the sampler is run against the real vLLM."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.trainer.test_rewards import decision, row
from trainer.reward_eval import (
    PolicyScore,
    PromptScore,
    Sample,
    ServedSampler,
    paired,
    render,
    score_policy,
    sign_flip_p,
)
from trainer.rewards import RewardConfig, parse_text
from trainer.serving import ServingError

SUBMIT = {
    "action": "submit",
    "submission": {"detected": True, "faulty_components": ["user-service"]},
}


def _prompt(key: str, weighted: list[float]) -> PromptScore:
    return PromptScore(key, "family", weighted, {"format": [1.0] * len(weighted)}, cut=0)


def _policy(model: str, means: dict[str, list[float]]) -> PolicyScore:
    return PolicyScore(model, 2, [_prompt(k, v) for k, v in means.items()])


def test_each_sample_is_weighted_as_trl_weighs_it() -> None:
    functions, weights = RewardConfig.from_dict({"weights": {"safety": 1.0}}).functions()
    good, cut = Sample(decision(SUBMIT), True), Sample('{"summary": "user-serv', False)
    rows = [{**row(), "prompt": [{"role": "user", "content": "diagnose"}]}]
    asked: list[tuple[str, int]] = []

    def sampler(model: str, messages: list[dict[str, Any]], n: int) -> list[Sample]:
        asked.append((model, n))
        return [good, cut]

    score = score_policy(rows, "m", sampler, functions, weights, samples=2, label="base")
    assert asked == [("m", 2)] and score.model == "base"
    (prompt,) = score.prompts
    assert prompt.cut == 1 and score.cut_share == 0.5
    assert prompt.rewards["format"] == [1.0, 0.0]
    # The right submission on a submit row: format, action, target, submission and
    # calibration (confidence 90 on a correct answer) all apply; safety gives 0.
    assert prompt.weighted[0] == pytest.approx(0.1 + 0.1 + 0.3 + 0.3 + 0.05 * 0.9)
    assert prompt.weighted[1] == 0.0  # unparsable: every judging reward gives it 0
    assert score.mean == pytest.approx(prompt.weighted[0] / 2)
    assert parse_text(good.text).decision is not None


def test_rewards_that_do_not_apply_are_left_out_of_their_mean() -> None:
    score = PolicyScore("m", 2, [
        PromptScore("a", "f", [0.0, 0.0], {"action": [None, None], "format": [1.0, 0.0]}, 0),
        PromptScore("b", "f", [0.0, 0.0], {"action": [1.0, 0.0], "format": [1.0, 1.0]}, 0),
    ])  # fmt: skip
    assert score.reward_means() == {"action": 0.5, "format": 0.75}


def test_the_paired_difference_matches_prompts_by_key() -> None:
    before = _policy("base", {"a": [0.0, 0.2], "b": [0.5, 0.5], "c": [0.1, 0.1]})
    after = _policy("tuned", {"c": [0.3, 0.3], "a": [0.2, 0.4], "z": [9.0, 9.0]})
    comparison = paired(before, after)
    assert comparison.prompts == 2  # b was not scored after, z not before
    assert comparison.difference == pytest.approx(0.2)
    assert comparison.standard_error == pytest.approx(0.0)
    assert comparison.p_value == 0.5  # two prompts: +,+ and -,- are as extreme


def test_nothing_in_common_is_an_error() -> None:
    with pytest.raises(ValueError, match="no prompt in common"):
        paired(_policy("a", {"x": [1.0]}), _policy("b", {"y": [1.0]}))


def test_the_sign_flip_test_counts_every_pattern_at_least_as_extreme() -> None:
    assert sign_flip_p([0.1] * 5) == pytest.approx(2 / 32)
    assert sign_flip_p([1.0, -1.0]) == 1.0
    # 3, 1, 1: |sum| >= 5 for +++ and ---; 3 with the ones flipped gives 1, not extreme.
    assert sign_flip_p([3.0, 1.0, 1.0]) == pytest.approx(2 / 8)
    assert sign_flip_p([0.0, 0.0]) == 1.0  # no difference at all
    many = sign_flip_p([0.2] * 30, seed=1)  # drawn, not enumerated: 2 in 2^30 exactly
    assert many < 0.001


def test_the_table_names_each_policy_and_the_comparison() -> None:
    before = _policy("base", {"a": [0.0, 0.2], "b": [0.5, 0.5]})
    after = _policy("tuned", {"a": [0.2, 0.4], "b": [0.7, 0.9]})  # +0.2 and +0.3
    table = render([before, after], paired(before, after))
    lines = table.splitlines()
    assert lines[0].split()[:4] == ["model", "prompts", "samples", "weighted"]
    assert lines[1].split()[:4] == ["base", "2", "2", "0.300"]
    assert lines[2].split()[:4] == ["tuned", "2", "2", "0.550"]
    assert lines[3].startswith("tuned - base: +0.250 ± 0.050")
    assert "p = 0.5" in lines[3]
    assert json.loads(json.dumps(after.to_json()))["mean"] == pytest.approx(0.55)


def test_the_served_sampler_draws_schema_held_decisions(vllm_url: str) -> None:
    from trainer.serving import served_models

    sampler = ServedSampler(vllm_url, max_tokens=160, temperature=1.0)
    messages = [{"role": "user", "content": "user-service refuses connections. Decide."}]
    drawn = sampler(served_models(vllm_url)[0], messages, 2)
    assert len(drawn) == 2
    for sample in drawn:
        assert sample.text.startswith("{")  # guided decoding: JSON from the first token
        if sample.finished:
            assert parse_text(sample.text).decision is not None
    with pytest.raises(ServingError, match="did not sample no-such-model"):
        sampler("no-such-model", messages, 1)
