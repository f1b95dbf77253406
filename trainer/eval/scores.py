"""best@k and avg@k, as the AOI paper and AIOpsLab report them. Over the problems of a group,
each attempted k times: avg@1 is the share of first attempts that succeeded; avg@k the share of
all k attempts; best@k the share of problems solved by at least one of their k attempts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

Record = dict[str, Any]


def group_stats(records: Iterable[Record], k: int) -> dict[str, Any]:
    """runs, successes, avg_at_1, avg_at_k, best_at_k (fractions) over `records`."""
    attempts: dict[tuple[str, str], dict[int, bool]] = defaultdict(dict)
    for r in records:
        if r["attempt"] < k:
            attempts[(r["scenario"], r["task"])][r["attempt"]] = bool(r["success"])
    runs = sum(len(a) for a in attempts.values())
    successes = sum(sum(a.values()) for a in attempts.values())
    problems = len(attempts)
    first = [a[0] for a in attempts.values() if 0 in a]
    return {
        "problems": problems,
        "runs": runs,
        "successes": successes,
        "avg_at_1": round(sum(first) / len(first), 4) if first else 0.0,
        "avg_at_k": round(successes / runs, 4) if runs else 0.0,
        "best_at_k": round(sum(any(a.values()) for a in attempts.values()) / problems, 4)
        if problems
        else 0.0,
    }


def summarize(records: list[Record], k: int) -> dict[str, Any]:
    """`by_task`, `by_family` and `overall` statistics of a run's records."""
    by_task: dict[str, list[Record]] = defaultdict(list)
    by_family: dict[str, list[Record]] = defaultdict(list)
    for r in records:
        by_task[r["task"]].append(r)
        by_family[r["family"]].append(r)
    return {
        "by_task": {t: group_stats(rs, k) for t, rs in sorted(by_task.items())},
        "by_family": {f: group_stats(rs, k) for f, rs in sorted(by_family.items())},
        "overall": group_stats(records, k),
    }
