"""The evaluation loop: every attempt of every problem, each on a fresh cluster, in worker
processes; each result appended to results.jsonl as it lands, so an interrupted run resumes
where it stopped; then the summary, the table and the charts."""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sim.scenario import TASK_TYPES, TaskType
from trainer.eval.attempt import AgentSpec, AttemptSpec, iter_attempts, run_attempts
from trainer.eval.report import write_report
from trainer.eval.scores import summarize
from trainer.eval.splits import problems

Progress = Callable[[dict[str, Any], int, int], None]  # (record, done, total)


class EvalError(ValueError):
    """The evaluation cannot start as asked."""


class Interrupted(Exception):
    """Ctrl-C: the results so far are saved and the run can resume."""


@dataclass
class EvalConfig:
    out: Path
    agent: AgentSpec = field(default_factory=AgentSpec)
    split: str = "all"
    tasks: tuple[TaskType, ...] = TASK_TYPES
    attempts: int = 1
    concurrency: int = 1
    resume: bool = False

    def identity(self) -> dict[str, Any]:
        """What must match for a run to resume another."""
        return {"agent": self.agent.agent, "split": self.split, "tasks": list(self.tasks)}


def run_eval(config: EvalConfig, progress: Progress | None = None) -> dict[str, Any]:
    """Run what is not done yet; return the summary (also written to `out`)."""
    chosen = problems(config.split, config.tasks)
    results, state = config.out / "results.jsonl", config.out / "run.json"
    previous = _start(config, results, state)
    done = {(r["scenario"], r["task"], r["attempt"]) for r in previous}
    trajectories = config.out / "trajectories"
    trajectories.mkdir(parents=True, exist_ok=True)
    # One present for the whole run: each task of a scenario then starts from a copy of the
    # same simulated history instead of simulating it again (sim.session's snapshots).
    present = datetime.now(UTC).replace(microsecond=0)
    todo = [
        AttemptSpec(p.source, p.task, a, p.family, p.id, str(trajectories), present)
        for a in range(config.attempts)
        for p in chosen
        if (p.scenario.id, p.task, a) not in done
    ]
    total = len(todo) + len(done)
    records = list(previous)
    started = time.monotonic()
    try:
        with _remembered_interrupts() as interrupted:
            for record in _results(todo, config):
                with results.open("a") as out:
                    out.write(json.dumps(record) + "\n")
                    out.flush()
                    os.fsync(out.fileno())
                records.append(record)
                if progress:
                    progress(record, len(records), total)
                if interrupted():
                    raise KeyboardInterrupt
    except KeyboardInterrupt:
        raise Interrupted(f"{len(records)} of {total} runs saved in {config.out}") from None
    finally:
        run = json.loads(state.read_text())
        run["seconds"] = round(run.get("seconds", 0.0) + time.monotonic() - started, 2)
        state.write_text(json.dumps(run, indent=2))
    ids = {(p.scenario.id, p.task) for p in chosen}
    kept = [r for r in records if (r["scenario"], r["task"]) in ids]
    summary = {
        **summarize(kept, config.attempts),
        "k": config.attempts,
        "agent": config.agent.agent,
        "split": config.split,
        "seconds": run["seconds"],
    }
    (config.out / "summary.json").write_text(json.dumps(summary, indent=2))
    write_report(config.out, summary, kept)
    return summary


@contextlib.contextmanager
def _remembered_interrupts() -> Iterator[Callable[[], bool]]:
    """Ctrl-C raises KeyboardInterrupt as usual, and is remembered. Python prints and then
    swallows an exception raised in a finalizer, and a Ctrl-C that arrives while a finished
    attempt's cluster is being collected usually runs its handler in one (an event loop's
    `__del__`: 8 of 12 tries right after the first result), so the run went on to the end
    with a traceback on the screen. There it is only remembered, and the loop stops at the
    next result. Only the main thread takes signals; elsewhere nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield lambda: False
        return
    seen: list[int] = []

    def handler(signum: int, frame: Any) -> None:
        seen.append(signum)
        if frame is None or frame.f_code.co_name != "__del__":
            signal.default_int_handler(signum, frame)

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield lambda: bool(seen)
    finally:
        signal.signal(signal.SIGINT, previous)


def _start(config: EvalConfig, results: Path, state: Path) -> list[dict[str, Any]]:
    """The records of an earlier run to resume (validated), or a fresh folder."""
    if results.exists() and not config.resume:
        raise EvalError(f"{config.out} already has results: pass --resume, or another --out")
    config.out.mkdir(parents=True, exist_ok=True)
    previous: list[dict[str, Any]] = []
    if results.exists():
        earlier = json.loads(state.read_text()) if state.exists() else {}
        mine = config.identity()
        if {k: earlier.get(k) for k in mine} != mine:
            raise EvalError(f"{config.out} holds a different run ({earlier}); use another --out")
        lines = results.read_text().splitlines()
        for line in lines:
            try:
                previous.append(json.loads(line))
            except ValueError:
                continue  # a line cut by the interruption; that attempt runs again
        results.write_text("".join(json.dumps(r) + "\n" for r in previous))
    run = {**config.identity(), "k": config.attempts, "seconds": 0.0}
    if state.exists():
        run["seconds"] = json.loads(state.read_text()).get("seconds", 0.0)
    state.write_text(json.dumps(run, indent=2))
    return previous


def _results(todo: list[AttemptSpec], config: EvalConfig) -> Any:
    """Records as attempts finish, in this process or in `concurrency` workers."""
    if config.concurrency <= 1:
        yield from iter_attempts(todo, config.agent)
        return
    # fork: workers inherit the imported modules; nothing is served before the pool starts.
    context = multiprocessing.get_context("fork")
    pool = ProcessPoolExecutor(max_workers=config.concurrency, mp_context=context)
    pending: set[Future[list[dict[str, Any]]]] = set()
    queue = _chunks(todo)
    try:
        while queue or pending:
            while queue and len(pending) < config.concurrency * 2:
                pending.add(pool.submit(run_attempts, queue.pop(0), config.agent))
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                yield from future.result()
    finally:
        pool.shutdown(wait=not queue and not pending, cancel_futures=True)


def _chunks(todo: list[AttemptSpec], size: int = 4) -> list[list[AttemptSpec]]:
    """Consecutive attempts at one scenario go to one worker: it simulates the scenario's
    history once and starts the others from a copy (sim.session's snapshots)."""
    chunks: list[list[AttemptSpec]] = []
    for spec in todo:
        if chunks and chunks[-1][0].scenario == spec.scenario and len(chunks[-1]) < size:
            chunks[-1].append(spec)
        else:
            chunks.append([spec])
    return chunks
