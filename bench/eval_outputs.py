"""Does a speed-up leave `aoi eval`'s answers alone? (run by hand, before and after).

`.venv/bin/python bench/eval_outputs.py OUT.jsonl [SPLIT [N]]` runs the split's attempts
(default `aoi`; the first N, if given) in one process, as eval does, at a fixed present, and
writes one line per attempt: its record (without its time) and every tool call's request,
exit code and a digest of its whole output (not the capped text a trajectory keeps).
Concurrent reads finish in any order, so calls are sorted, and a `kubectl logs -l --prefix`
answer, whose streams interleave, is grouped by stream first.
`.venv/bin/python bench/eval_outputs.py --compare A.jsonl B.jsonl` says how many differ, the
records (the answers) apart from the calls (a change to how the agent reads changes the calls
and should leave the records alone).

Run the old commit with `PYTHONPATH=<its worktree>` (the venv's editable install would
otherwise import this checkout).
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import agents.tools.kube_api
import agents.tools.kubectl
import agents.tools.metrics
import agents.tools.traces
from sim.scenario import TASK_TYPES
from trainer.eval.attempt import AgentSpec, AttemptSpec, iter_attempts
from trainer.eval.splits import problems

PRESENT = datetime(2026, 1, 13, 12, 0, 0, tzinfo=UTC)
_PREFIX = re.compile(r"^(\[pod/[^\]]+\])")
seen: list[tuple[str, list[str], int | None, str]] = []


def _grouped(argv: list[str], raw: str) -> str:
    if "logs" not in argv or "-l" not in argv:
        return raw
    streams: dict[str, list[str]] = {}
    for line in raw.split("\n"):
        found = _PREFIX.match(line)
        streams.setdefault(found.group(1) if found else "", []).append(line)
    return "\n".join(line for key in sorted(streams) for line in streams[key])


def _record(owner: Any, name: str) -> None:
    inner: Callable[..., Any] = getattr(owner, name)

    def recorded(*args: Any, **kwargs: Any) -> Any:
        call = inner(*args, **kwargs)
        raw = _grouped(call.request, call.raw)
        seen.append((call.tool, list(call.request), call.exit_code, raw))
        return call

    setattr(owner, name, recorded)


def dump(out: Path, split: str, first: int | None) -> None:
    for owner, name in (
        (agents.tools.kubectl.Kubectl, "run"),
        (agents.tools.kubectl.Kubectl, "run_approved"),
        (agents.tools.kube_api.KubeApi, "get"),
        (agents.tools.kube_api.KubeApi, "logs"),
        (agents.tools.kube_api.KubeApi, "previous_logs"),
        (agents.tools.metrics.Metrics, "_query"),
        (agents.tools.traces.Traces, "service"),
    ):
        _record(owner, name)
    with tempfile.TemporaryDirectory() as tmp, out.open("w") as lines:
        specs = [
            AttemptSpec(p.source, p.task, 0, p.family, p.id, tmp, PRESENT)
            for p in problems(split, TASK_TYPES)
        ][:first]
        for record in iter_attempts(specs, AgentSpec()):
            calls = sorted(
                (tool, request, code, hashlib.sha256(raw.encode()).hexdigest())
                for tool, request, code, raw in seen
            )
            seen.clear()
            kept = {k: v for k, v in record.items() if k not in ("seconds", "trajectory")}
            lines.write(json.dumps({"record": kept, "calls": calls}, sort_keys=True) + "\n")


def compare(a: Path, b: Path) -> int:
    def load(path: Path) -> dict[tuple[str, str], Any]:
        rows = (json.loads(line) for line in path.read_text().splitlines())
        return {(r["record"]["scenario"], r["record"]["task"]): r for r in rows}

    left, right = load(a), load(b)
    both = sorted(left.keys() & right.keys())
    answers = [key for key in both if left[key]["record"] != right[key]["record"]]
    calls = [key for key in both if left[key]["calls"] != right[key]["calls"]]
    only = sorted(left.keys() ^ right.keys())
    print(
        f"{len(left)} and {len(right)} attempts; records differ in {len(answers)}, "
        f"calls in {len(calls)}; {len(only)} in one only"
    )
    for scenario, task in answers[:10]:
        print(f"  record differs: {scenario} {task}")
    for scenario, task in calls[:5]:
        print(f"  calls differ: {scenario} {task}")
    return 1 if answers or calls or only else 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--compare"]:
        sys.exit(compare(Path(sys.argv[2]), Path(sys.argv[3])))
    dump(Path(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else "aoi",
         int(sys.argv[3]) if len(sys.argv) > 3 else None)  # fmt: skip
