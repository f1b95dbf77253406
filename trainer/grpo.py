"""GRPO fine-tuning of the Observer: TRL's `GRPOTrainer` with a PEFT LoRA adapter, the
decision-point dataset, and the rewards of trainer/rewards/ weighted by the config. The
result is an adapter directory (what vLLM loads at run time), the training log, the reward
curves as PNG, and the adapter's registry record."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from trainer.config import TrainConfig
from trainer.models import load

if TYPE_CHECKING:
    from datasets import Dataset

    from trainer.registry import AdapterRecord

Progress = Callable[[str], None]


class TrainingError(RuntimeError):
    """Training cannot run as configured, with why."""


@dataclass(frozen=True)
class TrainResult:
    adapter: Path  # the PEFT adapter directory
    steps: int
    seconds: float
    mean_rewards: list[float]  # one per logged step
    plot: Path
    log: Path

    @property
    def thirds(self) -> tuple[float, float]:
        """The mean reward over the first and the last third of the steps: one step's mean
        depends on its prompts more than on the policy, so single steps say little."""
        third = max(1, len(self.mean_rewards) // 3)
        first, last = self.mean_rewards[:third], self.mean_rewards[-third:]
        if not first:
            return float("nan"), float("nan")
        return sum(first) / len(first), sum(last) / len(last)

    @property
    def rose(self) -> bool:
        """Whether the mean reward of the last third beat the first third's."""
        first, last = self.thirds
        return last > first  # False for no steps (NaN)

    def record(self, name: str, config: TrainConfig, data: dict[str, Any]) -> AdapterRecord:
        """What the registry keeps of this run: the adapter, its config, data and curves."""
        from trainer.registry import AdapterRecord

        return AdapterRecord(
            name=name,
            base=config.model.spec().label(),
            adapter=str(self.adapter),
            config=config.model_dump(),
            data=data,
            training={
                "steps": self.steps,
                "seconds": round(self.seconds, 1),
                "mean_rewards": self.mean_rewards,
                "rose": self.rose,
                "plot": str(self.plot),
                "log": str(self.log),
            },
        )


def train_grpo(
    config: TrainConfig,
    train: Dataset,
    out: Path,
    *,
    cache: Path,
    progress: Progress | None = None,
    overrides: dict[str, Any] | None = None,
    server_url: str | None = None,
) -> TrainResult:
    """Train an adapter on `train` (decision-point rows) and write it under `out`."""
    import transformers
    from peft import LoraConfig
    from trl.trainer.grpo_config import GRPOConfig
    from trl.trainer.grpo_trainer import GRPOTrainer

    from trainer.rewards import RewardConfig

    say = progress or (lambda _: None)
    model, tokenizer = load(config.model.spec(), cache)
    train = _fitting(train, tokenizer, config.max_prompt_tokens, say)
    if len(train) == 0:
        raise TrainingError("no decision point fits max_prompt_tokens; nothing to train on")
    rewards = RewardConfig.from_dict(config.rewards)
    functions, weights = rewards.functions()
    settings: dict[str, Any] = {
        "report_to": [],
        "disable_tqdm": True,  # progress goes through `progress`; stdout stays the caller's
        "save_strategy": "no",
        "logging_steps": 1,
        "remove_unused_columns": False,  # the rewards read the ground-truth columns
        **config.grpo,
        **(overrides or {}),
    }
    try:
        args = GRPOConfig(output_dir=str(out / "checkpoints"), reward_weights=weights, **settings)
    except (TypeError, ValueError) as exc:
        raise TrainingError(f"grpo settings: {exc}") from exc
    lora = LoraConfig(
        r=config.lora.r,
        lora_alpha=config.lora.alpha,
        lora_dropout=config.lora.dropout,
        target_modules=config.lora.target_modules,
        task_type="CAUSAL_LM",
    )

    class Report(transformers.TrainerCallback):
        def on_log(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            logs = kwargs.get("logs")
            if logs and "reward" in logs:
                say(f"step {state.global_step}/{state.max_steps}: mean reward {logs['reward']:.3f}")

    rollout: Any = None
    length = args.max_completion_length or 256
    if config.rollout == "guided":
        from trainer.rollout import GuidedRollout

        rollout = GuidedRollout(tokenizer, model.config.vocab_size, length, args.temperature)
    elif config.rollout == "vllm":
        from trainer.rollout import ServedRollout

        url = config.rollout_url or server_url
        if not url:
            raise TrainingError("rollout: vllm needs rollout_url or AOI_LLM_BASE_URL")
        rollout = ServedRollout(url, out, length, args.temperature)
    trainer = GRPOTrainer(
        model=model,
        reward_funcs=cast(Any, functions),
        args=args,
        train_dataset=train,
        processing_class=tokenizer,
        peft_config=lora,
        callbacks=[Report()],
        rollout_func=rollout,
    )
    # transformers prints every log as a dict on stdout; ours go through `progress` instead.
    trainer.remove_callback(transformers.trainer_callback.PrinterCallback)
    trainer.remove_callback(transformers.trainer_callback.ProgressCallback)
    started = time.monotonic()
    try:
        trainer.train()
    finally:
        if hasattr(rollout, "close"):
            rollout.close()
    seconds = time.monotonic() - started
    adapter = out / "adapter"
    cast(Any, trainer.model).save_pretrained(adapter)  # the PEFT model: the adapter only
    history = trainer.state.log_history
    log = out / "log_history.json"
    log.write_text(json.dumps(history, indent=1))
    means = [float(entry["reward"]) for entry in history if "reward" in entry]
    from trainer.plots import plot_rewards

    plot = plot_rewards(history, out / "rewards.png", title=f"GRPO: {config.name}")
    return TrainResult(adapter, int(trainer.state.global_step), seconds, means, plot, log)


def _fitting(train: Dataset, tokenizer: Any, limit: int, say: Progress) -> Dataset:
    """The rows whose rendered prompt fits `limit` tokens (TRL does not cut prompts)."""

    def fits(row: dict[str, Any]) -> bool:
        text = tokenizer.apply_chat_template(row["prompt"], tokenize=False)
        return len(tokenizer(text)["input_ids"]) <= limit

    kept = train.filter(fits)
    if len(kept) < len(train):
        say(f"left out {len(train) - len(kept)} of {len(train)} prompts over {limit} tokens")
    return kept
