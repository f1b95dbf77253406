"""Evaluating an adapter on the held-out split, and promoting it only if it beats the current
model there: the same `aoi eval --agent llm` run for both (same split, same k, same budgets),
compared per family by `aoi eval compare`; the overall avg@k must rise. A promoted adapter is
loaded into vLLM at run time and recorded as current in Redis, where every bot replica reads
which model to ask."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agents.llm import LLMConfig
from agents.llm_agent import Budgets
from trainer.eval.compare import compare, render
from trainer.eval.runner import EvalConfig, run_eval
from trainer.registry import BASE, AdapterRecord, Registry, current, set_current
from trainer.serving import load_adapter, served_models

HELD_OUT = "aoi-test"
Progress = Callable[[dict[str, Any], int, int], None]


class PromotionError(ValueError):
    """Promotion cannot be decided as asked (nothing evaluated, mismatched runs)."""


@dataclass(frozen=True)
class Verdict:
    promoted: bool
    candidate: str
    incumbent: str
    reason: str
    table: str = ""


def evaluate(
    registry: Registry,
    name: str,
    llm: LLMConfig,
    budgets: Budgets,
    *,
    split: str = HELD_OUT,
    attempts: int = 1,
    concurrency: int = 1,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Run the held-out evaluation with `name` (an adapter, or `base`) as the Observer's
    model; the record keeps where its results are."""
    record, model = serve(registry, name, llm)
    out = registry.folder(name) / f"eval-{split}-k{attempts}"
    from trainer.eval.attempt import AgentSpec

    config = EvalConfig(
        out=out,
        agent=AgentSpec("llm", dataclasses.replace(llm, model=model), budgets),
        split=split,
        attempts=attempts,
        concurrency=concurrency,
        resume=(out / "results.jsonl").exists(),
    )
    summary = run_eval(config, progress)
    record.evaluation = str(out)
    registry.save(record)
    return summary


def serve(registry: Registry, name: str, llm: LLMConfig) -> tuple[AdapterRecord, str]:
    """`name`'s record and the model to ask for it: a registered adapter is loaded into
    vLLM under its own name; `base` is the model the server serves."""
    record = registry.get(name) if name != BASE else _base_record(registry, llm)
    if record.adapter is not None:
        load_adapter(llm.base_url, name, Path(record.adapter))
        return record, name
    return record, llm.model or served_models(llm.base_url)[0]


def promote(registry: Registry, name: str, redis: Any, base_url: str) -> Verdict:
    """Make `name` current if its held-out evaluation beats the current model's."""
    record = registry.get(name)
    if record.adapter is None:
        raise PromotionError("the base model is what adapters are promoted over, not one")
    now = current(redis)
    incumbent = now["name"] if now else BASE
    if incumbent == name:
        load_adapter(base_url, name, Path(record.adapter))  # e.g. after vLLM restarted
        return Verdict(True, name, incumbent, f"{name} is already current; reloaded into vLLM")
    theirs, ours = registry.evaluation(incumbent), registry.evaluation(name)
    if ours is None:
        raise PromotionError(f"{name} has no held-out evaluation: run `aoi train evaluate {name}`")
    if theirs is None:
        raise PromotionError(
            f"the current model {incumbent} has no held-out evaluation: "
            f"run `aoi train evaluate {incumbent}`"
        )
    for field in ("split", "k", "agent"):
        if theirs.get(field) != ours.get(field):
            raise PromotionError(
                f"the two evaluations differ in {field}: {theirs.get(field)} vs {ours.get(field)}"
            )
    result = compare(theirs, ours)
    table = render(result)
    delta = result["overall"]["delta_avg"]
    if delta is None or delta <= 0:
        a, b = result["overall"]["a_avg"], result["overall"]["b_avg"]
        return Verdict(
            False, name, incumbent,
            f"{name} does not beat {incumbent} on {ours.get('split')}: avg@k {b} vs {a}",
            table,
        )  # fmt: skip
    load_adapter(base_url, name, Path(record.adapter))
    set_current(redis, record, evaluation=record.evaluation, delta_avg=delta)
    worse = f"; worse in {', '.join(result['worse'])}" if result["worse"] else ""
    return Verdict(True, name, incumbent, f"avg@k +{delta:.1%} over {incumbent}{worse}", table)


def _base_record(registry: Registry, llm: LLMConfig) -> AdapterRecord:
    try:
        return registry.get(BASE)
    except ValueError:
        record = AdapterRecord(name=BASE, base=llm.model or "served base model")
        registry.save(record)
        return record
