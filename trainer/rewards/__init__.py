"""GRPO rewards for the Observer's decisions, as plain callables with TRL's reward signature
(`fn(prompts=..., completions=..., completion_ids=..., **columns) -> list[float | None]`).

Offline, cheap, on every row: format, action, target, submission, calibration, safety.
"""

from trainer.rewards.completion import ParsedCompletion, completion_text, parse, parse_text
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
    "UNSAFE",
    "ParsedCompletion",
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
