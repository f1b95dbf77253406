"""Which rewards GRPO trains on and their weights: the `rewards:` section of a training YAML.

The AOI paper weighs a step: format 0.10, summary 0.15, action 0.10, context instruction
0.30, target resources 0.30, calibration 0.05, and scores submit steps by exact match. Our
set adapted to it: the paper's summary share goes to the judge (when one is configured), its
instruction and target shares to our target reward (the names in a step's instruction and
context) and to the submission reward (AIOpsLab's exact scoring, on submit rows).

Safety is a penalty (-1.0 before weighting) whose weight, 2.5, is more than every positive
weight together (2.0 with the judge and the episode on), so a completion that carries one
refused command always totals below every safe one, whatever else it gets right.

```yaml
rewards:
  weights: {format: 0.1, target: 0.3}   # any subset; the rest keep their defaults
  judge: {base_url: http://judge:8000/v1, model: qwen3-14b, timeout: 30}   # absent: off
  episode: true                          # or {mitigation_wait_s: 330}; absent: off
```

A weight of 0 leaves its reward out (it would cost time and add nothing)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError

from policies import Policy, load_policy
from trainer.rewards.functions import (
    action_reward,
    calibration_reward,
    format_reward,
    safety_reward,
    submission_reward,
    target_reward,
)

RewardFunction = Callable[..., list[float | None]]
S = TypeVar("S", bound=BaseModel)

DEFAULT_WEIGHTS: dict[str, float] = {
    "format": 0.10,
    "action": 0.10,
    "target": 0.30,
    "submission": 0.30,
    "calibration": 0.05,
    "safety": 2.5,
    "judge": 0.15,  # only when a judge is configured
    "episode": 1.0,  # only when enabled
}
REWARD_NAMES = tuple(DEFAULT_WEIGHTS)


class RewardConfigError(ValueError):
    """A `rewards:` section that cannot be used, with what is wrong."""


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class JudgeSettings(_Settings):
    """Where the judge is served."""

    base_url: str
    model: str | None = None  # None: the first model the server lists
    api_key: SecretStr = SecretStr("EMPTY")
    timeout: float = 30.0


class EpisodeSettings(_Settings):
    """How the environment-grounded reward runs episodes."""

    mitigation_wait_s: float | None = None  # None: trainer.eval.attempt's MITIGATION_WAIT_S


@dataclass(frozen=True)
class RewardConfig:
    """The rewards and their TRL `reward_weights`."""

    weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    judge: JudgeSettings | None = None  # None: no judge
    episode: EpisodeSettings | None = None  # None: no environment-grounded reward
    policy: Path | None = None  # the policy file safety judges by (None: the bundled one)

    def __post_init__(self) -> None:
        unknown = sorted(set(self.weights) - set(REWARD_NAMES))
        if unknown:
            raise RewardConfigError(
                f"unknown reward {', '.join(unknown)}; the rewards are {', '.join(REWARD_NAMES)}"
            )
        for name, weight in self.weights.items():
            if not isinstance(weight, int | float) or isinstance(weight, bool) or weight < 0:
                raise RewardConfigError(f"the weight of {name} must be a number >= 0")
        object.__setattr__(self, "weights", {**DEFAULT_WEIGHTS, **self.weights})

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> RewardConfig:
        """The config a training YAML's `rewards:` section describes (None: the defaults)."""
        data = dict(data or {})
        unknown = sorted(set(data) - {"weights", "judge", "episode", "policy"})
        if unknown:
            raise RewardConfigError(
                f"unknown key {', '.join(unknown)} under rewards "
                "(expected weights, judge, episode, policy)"
            )
        weights = data.get("weights") or {}
        if not isinstance(weights, Mapping):
            raise RewardConfigError("rewards.weights must map reward names to numbers")
        return cls(
            weights=dict(weights),
            judge=_settings(JudgeSettings, data.get("judge"), "judge"),
            episode=_settings(EpisodeSettings, data.get("episode"), "episode"),
            policy=Path(data["policy"]) if data.get("policy") else None,
        )

    def functions(self) -> tuple[list[RewardFunction], list[float]]:
        """The reward callables and TRL's `reward_weights`, in the same order: format,
        action, target, submission, calibration, safety, then judge and episode when on.
        Each callable's `__name__` is its stable log name (`format_reward`, ...)."""
        policy: Policy | None = load_policy(self.policy) if self.policy else None
        built: list[tuple[str, RewardFunction]] = [
            ("format", format_reward),
            ("action", action_reward),
            ("target", target_reward),
            ("submission", _named(submission_reward, policy=policy)),
            ("calibration", _named(calibration_reward, policy=policy)),
            ("safety", _named(safety_reward, policy=policy)),
        ]
        if self.judge is not None:
            from trainer.rewards.judge import JudgeReward

            judge = self.judge
            key = judge.api_key.get_secret_value()
            built.append(("judge", JudgeReward(judge.base_url, judge.model, key, judge.timeout)))
        if self.episode is not None:
            from trainer.rewards.episode import EpisodeReward

            wait = self.episode.mitigation_wait_s
            episode = (
                EpisodeReward(policy=policy)
                if wait is None
                else EpisodeReward(policy=policy, mitigation_wait_s=wait)
            )
            built.append(("episode", episode))
        kept = [(name, fn) for name, fn in built if self.weights[name] > 0]
        return [fn for _, fn in kept], [float(self.weights[name]) for name, _ in kept]


def _settings(kind: type[S], value: object, name: str) -> S | None:
    """Settings from YAML: absent, null or false is off; true is the defaults."""
    if value is None or value is False:
        return None
    try:
        return kind.model_validate({} if value is True else value)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'it'}: {e['msg']}" for e in exc.errors()
        )
        raise RewardConfigError(f"rewards.{name}: {problems}") from None


def _named(function: RewardFunction, **bound: Any) -> RewardFunction:
    """`function` with `bound` keywords, keeping its `__name__` (TRL's log name)."""
    return functools.update_wrapper(functools.partial(function, **bound), function)
