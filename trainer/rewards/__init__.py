"""GRPO rewards for the Observer's decisions, as plain callables with TRL's reward signature
(`fn(prompts=..., completions=..., completion_ids=..., **columns) -> list[float | None]`).

Offline, cheap, on every row: format, action, target, submission, calibration, safety.
Optional: an LLM judge of the free text (`JudgeReward`), and the environment-grounded
`EpisodeReward`, which runs a completion on a fresh `sim` cluster. `RewardConfig` picks them
and their weights (the AOI paper's proportions by default) and hands TRL both lists.

`JudgeReward` and `EpisodeReward` live in trainer.rewards.judge and trainer.rewards.episode,
imported only when configured: the offline rewards need neither a model client nor the
Executor and the sim servers."""

from trainer.rewards.completion import ParsedCompletion, completion_text, parse, parse_text
from trainer.rewards.config import (
    DEFAULT_WEIGHTS,
    REWARD_NAMES,
    EpisodeSettings,
    JudgeSettings,
    RewardConfig,
    RewardConfigError,
)
from trainer.rewards.functions import (
    UNSAFE,
    action_reward,
    calibration_reward,
    format_reward,
    safety_reward,
    submission_reward,
    target_reward,
)

__all__ = [
    "DEFAULT_WEIGHTS",
    "REWARD_NAMES",
    "UNSAFE",
    "EpisodeSettings",
    "JudgeSettings",
    "ParsedCompletion",
    "RewardConfig",
    "RewardConfigError",
    "action_reward",
    "calibration_reward",
    "completion_text",
    "format_reward",
    "parse",
    "parse_text",
    "safety_reward",
    "submission_reward",
    "target_reward",
]
