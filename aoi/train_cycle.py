"""`aoi train run`: the periodic cycle (a CronJob in production). Export the threads saved
since the last cycle, build the dataset (with any `aoi eval` runs given), train an adapter,
evaluate it and the current model on the held-out split, promote it only if it is better.
With too few new threads it does nothing, and says so. It lives here, in the composition
layer, because it joins the bot's store and the trainer."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from agents.llm import LLMConfig
from agents.llm_agent import Budgets

LAST_CYCLE = "aoi:train:last_cycle"
Say = Callable[[str], None]


@dataclass(frozen=True)
class CycleResult:
    outcome: Literal["nothing", "trained", "kept", "promoted"]
    reason: str
    adapter: str | None = None


def run_cycle(
    *,
    config_path: Path,
    state_dir: Path,
    redis: Any,  # a sync client on the bot's Redis
    redis_url: str,
    eval_dirs: list[Path],
    llm: LLMConfig | None,
    budgets: Budgets,
    min_new: int,
    say: Say,
) -> CycleResult:
    from trainer.config import load_config
    from trainer.datasets import build_dataset, load_dataset_dir
    from trainer.grpo import train_grpo
    from trainer.promotion import evaluate, promote
    from trainer.registry import BASE, Registry, current

    started = datetime.now(UTC)
    since_raw = redis.get(LAST_CYCLE)
    since = datetime.fromisoformat(since_raw) if since_raw else None
    folder = state_dir / "train" / "cycles" / f"{started:%Y%m%d-%H%M%S}"
    threads = _threads(redis_url, since)
    say(f"{len(threads)} threads saved since {since or 'the beginning'}")
    if len(threads) < min_new:
        return CycleResult(
            "nothing", f"{len(threads)} new threads (< {min_new}): nothing to learn yet"
        )
    from aoi.trajectories_cli import write_export

    write_export(threads, folder / "slack", since, "all")
    config = load_config(config_path)
    # Prompts as the serving agent will see them: its iteration and context budgets.
    manifest = build_dataset(
        [folder / "slack", *eval_dirs],
        folder / "dataset",
        max_iterations=budgets.max_iterations,
        context_tokens=budgets.context_tokens,
    )
    say(f"dataset: {manifest.counts.rows}")
    splits = load_dataset_dir(folder / "dataset")
    registry = Registry(state_dir / "adapters")
    name = f"{config.name}-{started:%Y%m%d-%H%M%S}"
    result = train_grpo(
        config, splits["train"], registry.folder(name), cache=state_dir / "models",
        progress=say, server_url=llm.base_url if llm else None,  # for `rollout: vllm`
    )  # fmt: skip
    registry.save(result.record(name, config, manifest.model_dump(mode="json")))
    redis.set(LAST_CYCLE, started.isoformat())
    if llm is None:
        return CycleResult("trained", "no model server (AOI_LLM_BASE_URL): not evaluated", name)
    incumbent = (current(redis) or {}).get("name", BASE)
    if registry.evaluation(incumbent) is None:
        say(f"evaluating the current model {incumbent} on the held-out split")
        evaluate(registry, incumbent, llm, budgets)
    say(f"evaluating {name} on the held-out split")
    evaluate(registry, name, llm, budgets)
    verdict = promote(registry, name, redis, llm.base_url)
    say(verdict.table)
    return CycleResult("promoted" if verdict.promoted else "kept", verdict.reason, name)


def _threads(redis_url: str, since: datetime | None) -> list[Any]:
    """The bot's trajectories saved since `since`."""
    from bot.redis_store import RedisHandle
    from bot.trajectories import TrajectoryStore

    async def fetch() -> list[Any]:
        handle = RedisHandle(redis_url)
        try:
            return await TrajectoryStore(handle.client()).list(since)
        finally:
            await handle.close()

    return asyncio.run(fetch())


def describe(result: CycleResult) -> str:
    return json.dumps({"outcome": result.outcome, "reason": result.reason,
                       "adapter": result.adapter})  # fmt: skip
