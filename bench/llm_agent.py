"""The `llm` agent on a sample of the bundled scenarios against a real model server (run by
hand). `.venv/bin/python bench/llm_agent.py [N] [ITERATIONS]` starts the local vLLM (SmolLM2-135M
on CPU, `make llm`) unless AOI_LLM_BASE_URL names a server, investigates the first N AIOpsLab
scenarios (default 6) with at most ITERATIONS Observer iterations (default 3), and prints per
scenario what the model did and how the finding scored, then totals: schema-valid decisions,
submissions, fallbacks to the analyzers' finding, tokens and seconds per iteration."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from agents.llm import LLMClient, LLMConfig
from agents.llm_agent import Budgets, LLMAgent
from aoi.local_llm import local_model_server
from sim.scenario import bundled_scenarios
from sim.session import start_scenario
from trainer.sim_target import target_for


@contextlib.contextmanager
def model_server() -> Iterator[str]:
    if os.environ.get("AOI_LLM_BASE_URL"):
        yield os.environ["AOI_LLM_BASE_URL"]
        return
    with local_model_server() as url:
        yield url


def main(count: int, iterations: int) -> None:
    bundled = bundled_scenarios()
    chosen = [bundled[k] for k in sorted(bundled) if "aiopslab" in bundled[k].tags][:count]
    totals = {"steps": 0, "valid": 0, "submitted": 0, "fallback": 0, "tokens": 0, "seconds": 0.0}
    right: dict[str, list[int]] = {"detection": [0, 0], "localization": [0, 0]}
    with model_server() as url:
        for scenario in chosen:
            with start_scenario(scenario, present=datetime(2026, 3, 2, 12, tzinfo=UTC)) as running:
                client = LLMClient(LLMConfig(base_url=url, seed=1))
                budgets = Budgets(max_iterations=iterations, context_tokens=500, reply_tokens=400)
                agent = LLMAgent(target_for(running), client, budgets=budgets)
                started = time.monotonic()
                trajectory = agent.investigate("alert")
                seconds = time.monotonic() - started
                steps = trajectory.iterations[2:]
                totals["steps"] += len(steps)
                totals["valid"] += sum(s.decision is not None for s in steps)
                fell_back = any("analyzers' finding stands" in n for n in trajectory.notes)
                totals["fallback"] += fell_back
                totals["submitted"] += not fell_back
                totals["tokens"] += trajectory.tokens
                totals["seconds"] += sum(s.seconds for s in steps)
                found = trajectory.finding
                assert found is not None
                submissions: dict[str, Any] = {
                    "detection": "Yes" if found.detected else "No",
                    "localization": found.faulty_components,
                }
                marks = []
                for task, submission in submissions.items():
                    if task in scenario.tasks:
                        ok = running.score(task, submission).success
                        right[task][0] += ok
                        right[task][1] += 1
                        marks.append(f"{task[0]}{'+' if ok else '-'}")
                how = "fallback" if fell_back else "submitted"
                print(
                    f"{scenario.id:48} {' '.join(marks):6} {how:9} {len(steps)} iterations "
                    f"{trajectory.tokens:6} tokens {seconds:5.1f} s",
                    flush=True,
                )
    per = max(int(totals["steps"]), 1)
    print(
        f"\n{len(chosen)} scenarios, {totals['steps']} Observer iterations: "
        f"{totals['valid']} schema-valid decisions, {totals['submitted']} submissions, "
        f"{totals['fallback']} fallbacks to the analyzers' finding"
    )
    print(
        f"{totals['tokens'] / per:.0f} tokens and {totals['seconds'] / per:.1f} s per "
        "iteration; " + ", ".join(f"{k} {a}/{b}" for k, (a, b) in right.items() if b)
    )


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    main(*(args + [6, 3][len(args) :]))
