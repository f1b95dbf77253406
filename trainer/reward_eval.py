"""Scoring a served policy on decision points with the training rewards, and comparing two
policies prompt by prompt.

A GRPO step's mean reward depends on the prompt it drew more than on the policy, so a run's
curve rarely tells learning from noise. Here every prompt gets several samples from each
policy (through the same vLLM, guided decoding and sampling settings the trainer uses), each
scored by the config's reward functions and weighted as TRL weighs them (a reward that does
not apply to a row counts 0). Two policies are then compared on the same prompts: the mean
of the per-prompt differences, its standard error, and an exact sign-flip permutation test,
which assumes nothing about how rewards are distributed."""

from __future__ import annotations

import itertools
import math
import random
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from agents.decisions import ObserverDecision
from agents.llm.client import response_format
from trainer.serving import chat

RewardFunction = Callable[..., list[float | None]]
EXACT_UP_TO = 16  # prompts; beyond, the permutation test draws RANDOM_FLIPS sign patterns
RANDOM_FLIPS = 20_000


@dataclass(frozen=True)
class Sample:
    text: str
    finished: bool  # False: cut at the token limit


@dataclass(frozen=True)
class PromptScore:
    """One prompt's samples and what each reward gave them (None: it does not apply)."""

    key: str  # trajectory_id:iteration, the same row in every policy's score
    family: str
    weighted: list[float]  # one per sample
    rewards: dict[str, list[float | None]]
    cut: int  # samples cut at the token limit

    @property
    def mean(self) -> float:
        return statistics.fmean(self.weighted)


@dataclass(frozen=True)
class PolicyScore:
    model: str
    samples: int
    prompts: list[PromptScore]

    @property
    def mean(self) -> float:
        return statistics.fmean(p.mean for p in self.prompts)

    def reward_means(self) -> dict[str, float]:
        """Each reward's mean over the samples it applies to (NaN where it applies to none),
        as TRL logs them."""
        names = self.prompts[0].rewards if self.prompts else {}
        means = {}
        for name in names:
            values = [v for p in self.prompts for v in p.rewards[name] if v is not None]
            means[name] = statistics.fmean(values) if values else math.nan
        return means

    @property
    def cut_share(self) -> float:
        total = sum(len(p.weighted) for p in self.prompts)
        return sum(p.cut for p in self.prompts) / total if total else math.nan

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "samples": self.samples,
            "mean": self.mean,
            "rewards": self.reward_means(),
            "cut_share": self.cut_share,
            "prompts": [p.__dict__ | {"mean": p.mean} for p in self.prompts],
        }


@dataclass(frozen=True)
class Paired:
    """`b` against `a` on the prompts both scored."""

    prompts: int
    difference: float  # mean over prompts of b's mean minus a's
    standard_error: float
    p_value: float  # two-sided, sign-flip permutation test of the per-prompt differences


def reward_name(function: RewardFunction) -> str:
    name = getattr(function, "__name__", type(function).__name__)
    return name.removesuffix("_reward").lower()


class ServedSampler:
    """Samples from an OpenAI-compatible vLLM, held to the decision schema as the Observer
    is served and as `rollout: vllm` trains (`response_format` json_schema)."""

    def __init__(self, base_url: str, max_tokens: int, temperature: float):
        self.base_url = base_url
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.format = response_format(ObserverDecision)

    def __call__(self, model: str, messages: list[dict[str, Any]], n: int) -> list[Sample]:
        body = {
            "model": model,
            "messages": messages,
            "n": n,
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "response_format": self.format,
        }
        return [
            Sample(choice["message"].get("content") or "", choice.get("finish_reason") == "stop")
            for choice in chat(self.base_url, body)["choices"]
        ]


def score_policy(
    rows: Sequence[Mapping[str, Any]],
    model: str,
    sampler: Callable[[str, list[dict[str, Any]], int], list[Sample]],
    functions: Sequence[RewardFunction],
    weights: Sequence[float],
    *,
    samples: int,
    label: str | None = None,
    workers: int = 4,
    progress: Callable[[int, int], None] | None = None,
) -> PolicyScore:
    """`samples` completions of `model` for every row, scored by `functions` (TRL's reward
    signature) and weighted by `weights`; `label` names the policy (default: `model`)."""
    if samples < 1:
        raise ValueError("samples must be at least 1")
    done = itertools.count(1)

    def one(row: Mapping[str, Any]) -> PromptScore:
        drawn = sampler(model, list(row["prompt"]), samples)
        score = _score(row, drawn, functions, weights)
        if progress:
            progress(next(done), len(rows))
        return score

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        prompts = list(pool.map(one, rows))
    return PolicyScore(label or model, samples, prompts)


def _score(
    row: Mapping[str, Any],
    drawn: Sequence[Sample],
    functions: Sequence[RewardFunction],
    weights: Sequence[float],
) -> PromptScore:
    completions = [[{"role": "assistant", "content": s.text}] for s in drawn]
    columns = {k: [v] * len(drawn) for k, v in row.items() if k != "prompt"}
    rewards: dict[str, list[float | None]] = {}
    weighted = [0.0] * len(drawn)
    for function, weight in zip(functions, weights, strict=True):
        values = function(prompts=[row["prompt"]] * len(drawn), completions=completions, **columns)
        rewards[reward_name(function)] = list(values)
        for i, value in enumerate(values):
            if value is not None and not math.isnan(value):  # TRL's nansum
                weighted[i] += weight * value
    key = f"{row.get('trajectory_id', '')}:{row.get('iteration', '')}"
    cut = sum(not s.finished for s in drawn)
    return PromptScore(key, str(row.get("family", "")), weighted, rewards, cut)


def paired(a: PolicyScore, b: PolicyScore, seed: int = 0) -> Paired:
    """`b` against `a` on the prompts both scored, matched by key."""
    before = {p.key: p.mean for p in a.prompts}
    differences = [p.mean - before[p.key] for p in b.prompts if p.key in before]
    if not differences:
        raise ValueError(f"{a.model} and {b.model} scored no prompt in common")
    mean = statistics.fmean(differences)
    n = len(differences)
    error = statistics.stdev(differences) / math.sqrt(n) if n > 1 else math.nan
    return Paired(n, mean, error, sign_flip_p(differences, seed))


def sign_flip_p(differences: Sequence[float], seed: int = 0) -> float:
    """The two-sided p-value of a mean difference this far from zero if each prompt's
    difference were as likely to have the other sign: exact over every sign pattern up to
    EXACT_UP_TO prompts, else over RANDOM_FLIPS seeded draws."""
    observed = abs(sum(differences))
    tolerance = 1e-12 * max(1.0, observed)
    patterns: Iterable[Sequence[int]]
    if len(differences) <= EXACT_UP_TO:
        patterns = itertools.product((1, -1), repeat=len(differences))
        total = 1 << len(differences)
    else:
        draw = random.Random(seed)
        patterns = ([draw.choice((1, -1)) for _ in differences] for _ in range(RANDOM_FLIPS))
        total = RANDOM_FLIPS
    extreme = sum(
        1
        for signs in patterns
        if abs(sum(s * d for s, d in zip(signs, differences, strict=True))) >= observed - tolerance
    )
    return extreme / total


def render(scores: Sequence[PolicyScore], comparison: Paired | None = None) -> str:
    """The table `aoi train score` prints: each policy's weighted mean, each reward's mean and
    the share of samples cut at the token limit; then the paired difference, if any."""
    names = list(scores[0].reward_means()) if scores else []
    width = max([len("model"), *(len(s.model) for s in scores)])
    head = f"{'model':<{width}}  prompts  samples  weighted  " + "  ".join(
        f"{n:>{max(6, len(n))}}" for n in names
    )
    lines = [head + "     cut"]
    for score in scores:
        means = score.reward_means()
        cells = "  ".join(f"{means[n]:>{max(6, len(n))}.3f}" for n in names)
        lines.append(
            f"{score.model:<{width}}  {len(score.prompts):>7}  {score.samples:>7}  "
            f"{score.mean:>8.3f}  {cells}  {score.cut_share:>6.1%}"
        )
    if comparison is not None and len(scores) == 2:
        lines.append(
            f"{scores[1].model} - {scores[0].model}: {comparison.difference:+.3f} "
            f"± {comparison.standard_error:.3f} (standard error over {comparison.prompts} "
            f"prompts), sign-flip p = {comparison.p_value:.3g}"
        )
    return "\n".join(lines)
