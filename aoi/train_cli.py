"""`aoi train`: datasets from trajectories, GRPO fine-tuning, held-out evaluation, and
promotion of an adapter that beats the current model; `run` does the periodic cycle.
torch, transformers and TRL load only inside the commands that train."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from aoi.agent_settings import budgets, llm_config
from aoi.errors import fail
from aoi.settings import Settings, load_settings

if TYPE_CHECKING:
    from trainer.registry import Registry

app = typer.Typer(help="Train the Observer on its own trajectories (GRPO + LoRA).")
FROM_HELP = "An `aoi eval --out` folder or an `aoi trajectories export` folder; repeat it."


def _registry(settings: Settings) -> Registry:
    from trainer.registry import Registry

    return Registry(settings.state_dir / "adapters")


def _redis(settings: Settings) -> Any:
    """A plain (sync) client on the bot's Redis, and the handle to close."""
    import redis

    from bot.redis_store import RedisUnavailable, open_redis

    try:
        handle = open_redis(settings.redis_url, settings.state_dir)
    except RedisUnavailable as exc:
        fail(str(exc), 1)
    return redis.Redis.from_url(handle.url, decode_responses=True), handle


@app.command("dataset")
def dataset(
    sources: list[Path] = typer.Option(..., "--from", help=FROM_HELP),
    out: Path | None = typer.Option(None, help="Where to write it (default: the state dir)."),
) -> None:
    """Decision points for GRPO, split by fault family, saved with `datasets`."""
    from trainer.datasets import DatasetError, build_dataset

    settings = load_settings()
    target = out or settings.state_dir / "train" / "dataset"
    serving = budgets(settings)  # prompts as the serving agent will see them
    try:
        manifest = build_dataset(
            sources,
            target,
            max_iterations=serving.max_iterations,
            context_tokens=serving.context_tokens,
        )
    except DatasetError as exc:
        fail(str(exc), 1)
    typer.echo(json.dumps(_plain(manifest), indent=2))
    typer.echo(f"dataset in {target}", err=True)


@app.command("grpo")
def grpo(
    config: Path = typer.Option(
        ..., help="A training config, e.g. trainer/configs/smollm2-cpu.yaml."
    ),
    data: Path | None = typer.Option(None, help="A dataset folder (default: the last built)."),
    out: Path | None = typer.Option(None, help="Where the adapter goes (default: the registry)."),
    max_steps: int | None = typer.Option(None, min=1, help="Stop after this many steps."),
) -> None:
    """Fine-tune the Observer with GRPO and a LoRA adapter; register the adapter."""
    from trainer.config import ConfigError, load_config
    from trainer.datasets import DatasetError, load_dataset_dir
    from trainer.grpo import TrainingError, train_grpo
    from trainer.models import ModelError
    from trainer.serving import ServingError

    settings = load_settings()
    try:
        chosen = load_config(config)
        folder = data or settings.state_dir / "train" / "dataset"
        splits = load_dataset_dir(folder)
    except (ConfigError, DatasetError) as exc:
        fail(str(exc), 2)
    registry = _registry(settings)
    name = f"{chosen.name}-{datetime.now(UTC):%Y%m%d-%H%M%S}"
    target = out or registry.folder(name)
    overrides = {"max_steps": max_steps} if max_steps else None
    typer.echo(f"training {name} on {len(splits['train'])} decision points", err=True)
    try:
        result = train_grpo(
            chosen, splits["train"], target, cache=settings.state_dir / "models",
            progress=lambda line: typer.echo(line, err=True), overrides=overrides,
            server_url=settings.llm_base_url,
        )  # fmt: skip
    except (TrainingError, ModelError, ServingError) as exc:
        fail(str(exc), 1)
    manifest = folder / "manifest.json"
    provenance = json.loads(manifest.read_text()) if manifest.is_file() else {}
    registry.save(result.record(name, chosen, provenance))
    first, last = result.thirds
    typer.echo(
        f"{name}: {result.steps} steps in {result.seconds:.0f} s, mean reward {first:.3f} over "
        f"the first third, {last:.3f} over the last ({'rose' if result.rose else 'did not rise'}"
        f"); adapter {result.adapter}; curves {result.plot}"
    )


@app.command("list")
def list_adapters() -> None:
    """The registered adapters, oldest first, with the current one marked."""
    from trainer.registry import current

    settings = load_settings()
    client, handle = _redis(settings)
    try:
        now = (current(client) or {}).get("name")
    finally:
        client.close()
        _close(handle)
    for record in _registry(settings).all():
        mark = "*" if record.name == now else " "
        rose = record.training.get("rose")
        evaluated = "evaluated" if record.evaluation else "not evaluated"
        typer.echo(f"{mark} {record.name}  base {record.base}  rose {rose}  {evaluated}")


@app.command("evaluate")
def evaluate(
    name: str = typer.Argument(..., help="An adapter from `aoi train list`, or `base`."),
    split: str = typer.Option("aoi-test", help="The held-out split."),
    attempts: int = typer.Option(1, min=1, help="k: attempts per task."),
    concurrency: int = typer.Option(1, min=1, help="Parallel attempts."),
) -> None:
    """`aoi eval --agent llm` on the held-out split with this adapter as the Observer."""
    from trainer.eval.runner import EvalError
    from trainer.promotion import evaluate as run
    from trainer.registry import RegistryError
    from trainer.serving import ServingError

    settings = load_settings()
    llm = llm_config(settings)
    try:
        summary = run(
            _registry(settings), name, llm, budgets(settings),
            split=split, attempts=attempts, concurrency=concurrency,
        )  # fmt: skip
    except (RegistryError, ServingError, EvalError) as exc:
        fail(str(exc), 1)
    overall = summary["overall"]
    typer.echo(
        f"{name} on {split}: {overall['successes']}/{overall['runs']} runs, "
        f"avg@{summary['k']} {overall['avg_at_k']:.1%}, best@{summary['k']} "
        f"{overall['best_at_k']:.1%}"
    )


@app.command("score")
def score(
    models: list[str] = typer.Argument(
        ..., help="One or two of `base` and adapters from `aoi train list`; two are compared."
    ),
    config: Path = typer.Option(..., help="The training config: its rewards and sampling."),
    data: Path | None = typer.Option(None, help="A dataset folder (default: the last built)."),
    split: str = typer.Option("train", help="The dataset's split: train or test."),
    samples: int = typer.Option(8, min=1, help="Completions per prompt and model."),
    out: Path | None = typer.Option(None, help="Write every prompt's scores here (JSON)."),
) -> None:
    """Each model's mean training reward on the same decision points, several samples a
    prompt; two models are compared prompt by prompt (the paired difference and its p)."""
    from trainer.config import ConfigError, load_config
    from trainer.datasets import DatasetError, load_dataset_dir
    from trainer.promotion import serve
    from trainer.registry import RegistryError
    from trainer.reward_eval import ServedSampler, paired, render, score_policy
    from trainer.rewards import RewardConfig, RewardConfigError
    from trainer.serving import ServingError

    if len(models) > 2:
        fail("give one model to score or two to compare", 2)
    settings = load_settings()
    try:
        chosen = load_config(config)
        rewards = RewardConfig.from_dict(chosen.rewards)
        splits = load_dataset_dir(data or settings.state_dir / "train" / "dataset")
    except (ConfigError, RewardConfigError, DatasetError) as exc:
        fail(str(exc), 2)
    if split not in splits or len(splits[split]) == 0:
        fail(f"the dataset has no {split} rows", 2)
    if not settings.llm_base_url:
        fail("set AOI_LLM_BASE_URL to the vLLM serving the base model (`aoi llm serve`)", 2)
    llm = llm_config(settings)
    functions, weights = rewards.functions()
    sampler = ServedSampler(
        llm.base_url,
        int(chosen.grpo.get("max_completion_length", 256)),
        float(chosen.grpo.get("temperature", 1.0)),
    )
    rows = list(splits[split])
    scores = []
    try:
        for name in models:
            _, model = serve(_registry(settings), name, llm)
            scores.append(score_policy(
                rows, model, sampler, functions, weights, samples=samples, label=name,
                progress=_counting(name),
            ))  # fmt: skip
    except (RegistryError, ServingError) as exc:
        fail(str(exc), 1)
    comparison = paired(scores[0], scores[1]) if len(scores) == 2 else None
    if out is not None:
        report = {"scores": [s.to_json() for s in scores],
                  "paired": comparison.__dict__ if comparison else None}  # fmt: skip
        out.write_text(json.dumps(report, indent=1))
    typer.echo(render(scores, comparison))


@app.command("promote")
def promote(name: str = typer.Argument(..., help="An evaluated adapter.")) -> None:
    """Make the adapter current if it beats the current model on the held-out split."""
    from trainer.promotion import PromotionError
    from trainer.promotion import promote as decide
    from trainer.registry import RegistryError
    from trainer.serving import ServingError

    settings = load_settings()
    llm = llm_config(settings)
    client, handle = _redis(settings)
    try:
        verdict = decide(_registry(settings), name, client, llm.base_url)
    except (PromotionError, RegistryError, ServingError) as exc:
        fail(str(exc), 1)
    finally:
        client.close()
        _close(handle)
    if verdict.table:
        typer.echo(verdict.table)
    if not verdict.promoted:
        fail(f"not promoted: {verdict.reason}", 1)
    typer.echo(f"promoted {name}: {verdict.reason}")


@app.command("run")
def run(
    config: Path = typer.Option(..., help="The training config the cycle trains with."),
    eval_dir: list[Path] = typer.Option(
        [], "--eval-dir", help="An `aoi eval` run to learn from as well; repeat it."
    ),
    min_new: int = typer.Option(20, min=1, help="Fewer new threads than this: do nothing."),
) -> None:
    """The periodic cycle: export, build, train, evaluate, promote or keep."""
    from aoi.train_cycle import describe, run_cycle
    from trainer.config import ConfigError
    from trainer.datasets import DatasetError
    from trainer.grpo import TrainingError
    from trainer.models import ModelError
    from trainer.promotion import PromotionError
    from trainer.serving import ServingError

    settings = load_settings()
    llm = llm_config(settings) if settings.llm_base_url else None
    client, handle = _redis(settings)
    try:
        result = run_cycle(
            config_path=config, state_dir=settings.state_dir, redis=client,
            redis_url=handle.url, eval_dirs=eval_dir, llm=llm, budgets=budgets(settings),
            min_new=min_new, say=lambda line: typer.echo(line, err=True),
        )  # fmt: skip
    except (ConfigError, DatasetError, TrainingError, ModelError, PromotionError,
            ServingError) as exc:  # fmt: skip
        fail(str(exc), 1)
    finally:
        client.close()
        _close(handle)
    typer.echo(describe(result))


def _counting(name: str) -> Callable[[int, int], None]:
    return lambda done, total: typer.echo(f"{name}: {done}/{total} prompts", err=True)


def _close(handle: Any) -> None:
    import asyncio

    asyncio.run(handle.close())


def _plain(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if hasattr(value, "__dataclass_fields__"):
        import dataclasses

        return dataclasses.asdict(value)
    return value
