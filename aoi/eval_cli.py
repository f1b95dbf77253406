"""`aoi eval`: the benchmark harness (best@k, avg@k, per task type and fault family), and
`aoi eval compare` between two runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from aoi.errors import fail

if TYPE_CHECKING:  # the harness loads only when an evaluation runs
    from trainer.eval.attempt import AgentSpec
    from trainer.eval.runner import EvalConfig

app = typer.Typer(help="Evaluate an agent on scenarios; compare two evaluations.")


@app.callback(invoke_without_command=True)
def evaluate(
    ctx: typer.Context,
    agent: str = typer.Option("rules", help="rules (no model) or llm (AOI_LLM_BASE_URL)."),
    split: str = typer.Option(
        "all",
        help="all, aoi (the whole AOI set), aoi-train, aoi-test, everyday, or a folder of "
        "scenario YAML files.",
    ),
    tasks: str = typer.Option(
        "detection,localization,analysis,mitigation", help="Task types, comma-separated."
    ),
    attempts: int = typer.Option(1, min=1, help="Attempts per task (k of best@k and avg@k)."),
    concurrency: int = typer.Option(1, min=1, help="Worker processes."),
    out: Path = typer.Option(Path("eval-out"), help="Result folder."),
    resume: bool = typer.Option(False, help="Continue the run already in --out."),
) -> None:
    """Run each task of each scenario K times, each on a fresh emulated cluster; write
    results.jsonl, summary.json, summary.md and PNG charts to --out."""
    if ctx.invoked_subcommand is not None:
        return
    from sim.scenario import TASK_TYPES
    from trainer.eval.runner import EvalConfig, EvalError, Interrupted
    from trainer.eval.splits import SplitError

    chosen = tuple(t.strip() for t in tasks.split(",") if t.strip())
    unknown = [t for t in chosen if t not in TASK_TYPES]
    if unknown or not chosen:
        fail(f"unknown task types {unknown or [tasks]}: use {', '.join(TASK_TYPES)}", 2)
    config = EvalConfig(
        out=out,
        agent=_agent(agent),
        split=split,
        tasks=chosen,  # type: ignore[arg-type]
        attempts=attempts,
        concurrency=concurrency,
        resume=resume,
    )
    try:
        summary = _run(config)
    except (EvalError, SplitError) as exc:
        fail(str(exc), 2)
    except Interrupted as exc:
        fail(f"interrupted: {exc}; continue with the same command and --resume", 130)
    from trainer.eval.report import table

    typer.echo(table(summary))
    typer.echo(f"results in {out}/ (results.jsonl, summary.json, summary.md, *.png)")


def _agent(name: str) -> AgentSpec:
    from aoi.agent_settings import budgets, llm_config
    from aoi.settings import load_settings
    from trainer.eval.attempt import AgentSpec

    if name == "rules":
        return AgentSpec("rules")
    if name != "llm":
        fail(f"unknown agent {name!r}: use rules (no model) or llm", 2)
    settings = load_settings()
    return AgentSpec("llm", llm_config(settings), budgets(settings))


def _run(config: EvalConfig) -> dict[str, Any]:
    """run_eval with a progress bar that shows the running success rate."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from trainer.eval.runner import run_eval

    wins = [0, 0]
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        transient=True,
    ) as bar:
        task = bar.add_task("eval", total=None, rate="")

        def seen(record: dict[str, Any], done: int, total: int) -> None:
            wins[0] += bool(record["success"])
            wins[1] += 1
            rate = f"{wins[0]}/{wins[1]} succeeded"
            name = f"{record['scenario']} {record['task']}"
            bar.update(task, completed=done, total=total, description=name[:48], rate=rate)

        return run_eval(config, seen)


@app.command("compare")
def compare_runs(
    first: Path = typer.Argument(..., help="The baseline run's --out folder."),
    second: Path = typer.Argument(..., help="The candidate run's --out folder."),
    as_json: bool = typer.Option(False, "--json", help="One JSON document on stdout."),
) -> None:
    """Per fault family: the baseline's and the candidate's success and the difference."""
    from trainer.eval.compare import CompareError, compare, load_summary, render

    try:
        result = compare(load_summary(first), load_summary(second))
    except CompareError as exc:
        fail(str(exc), 2)
    typer.echo(json.dumps(result, indent=2) if as_json else render(result))
