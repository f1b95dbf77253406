"""Where `aoi eval`'s CPU goes, phase by phase (run by hand).

`.venv/bin/python bench/eval_cpu.py [SPLIT]` (default `aoi`) runs the split's attempts in
this one process, in eval's order and with eval's warming, and charges the CPU time
(`resource.getrusage`: this process, its server threads included, and its kubectl
children) to each phase: simulating a scenario's history, warming its metrics, copying a
snapshot, the investigation's surface and depth steps (and within them the Prometheus and
Jaeger calls), the mitigation's fixes and wait. Two eval workers on two cores share what
this adds up to, so the total over two is the floor of `aoi eval --concurrency 2`.
"""

from __future__ import annotations

import functools
import pickle
import resource
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import agents.rules
import agents.tools.metrics
import agents.tools.traces
import sim.cluster
import sim.session
import sim.telemetry.metrics
from trainer.eval import attempt
from trainer.eval.splits import problems

cpu_s: defaultdict[str, float] = defaultdict(float)
kubectl_s: defaultdict[str, float] = defaultdict(float)
calls: Counter[str] = Counter()


def _children() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _everything() -> float:
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime + _children()


def _charge(owner: Any, name: str, phase: str) -> None:
    inner: Callable[..., Any] = getattr(owner, name)

    @functools.wraps(inner)
    def timed(*args: Any, **kwargs: Any) -> Any:
        before, children = _everything(), _children()
        try:
            return inner(*args, **kwargs)
        finally:
            cpu_s[phase] += _everything() - before
            kubectl_s[phase] += _children() - children
            calls[phase] += 1

    setattr(owner, name, timed)


PHASES = [
    (attempt, "run_attempt", "attempt (all of it)"),
    (sim.session, "_simulate", "simulate history"),
    (sim.telemetry.metrics.MetricStore, "warm", "warm metrics"),
    (pickle, "loads", "copy a snapshot"),  # sim.session's snapshots are pickles
    (sim.cluster.SimCluster, "serve", "serve"),
    (attempt, "_investigate", "investigation"),
    (agents.rules.RulesAgent, "_surface", "  surface step"),
    (agents.rules.RulesAgent, "_depth", "  depth step"),
    (agents.tools.metrics.Metrics, "_query", "    Prometheus calls"),
    (agents.tools.traces.Traces, "service", "    Jaeger calls"),
    (attempt, "_apply_fixes", "mitigation fixes"),
    (sim.cluster.SimCluster, "advance", "mitigation wait"),
]


def calibration() -> float:
    """CPU seconds of a fixed pure-Python loop: this machine's speed varies from hour to hour
    by more than most changes save, so runs are compared at their calibration."""
    started, total = time.process_time(), 0
    for i in range(10_000_000):
        total += i
    return time.process_time() - started


def main(split: str) -> None:
    before_loop = calibration()
    for owner, name, phase in PHASES:
        _charge(owner, name, phase)
    present = datetime.now(UTC).replace(microsecond=0)
    folder = tempfile.mkdtemp(prefix="aoi-eval-cpu-")
    specs = [
        attempt.AttemptSpec(p.source, p.task, 0, p.family, p.id, folder, present)
        for p in problems(split)
    ]
    started, before = time.monotonic(), _everything()
    ok = sum(bool(r["success"]) for r in attempt.iter_attempts(specs, attempt.AgentSpec()))
    wall, total = time.monotonic() - started, _everything() - before
    print(f"{split}: {len(specs)} attempts, {ok} succeeded, {wall:.1f} s wall, {total:.1f} s CPU")
    print(f"calibration loop: {before_loop:.2f} s CPU before, {calibration():.2f} s after")
    print(f"{'phase':24} {'calls':>6} {'CPU s':>7} {'kubectl s':>10} {'per call':>9}")
    for _, _, phase in PHASES:
        n = calls[phase]
        if n:
            print(
                f"{phase:24} {n:6} {cpu_s[phase]:7.1f} {kubectl_s[phase]:10.1f}"
                f" {cpu_s[phase] / n:9.3f}"
            )


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "aoi")
