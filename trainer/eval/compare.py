"""`aoi eval compare A B`: how run B differs from run A, per fault family and overall (what
a promotion gate reads: B must not lose families A solved)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


class CompareError(ValueError):
    """A folder is not an evaluation's output."""


def load_summary(folder: Path) -> dict[str, Any]:
    path = folder / "summary.json"
    try:
        summary: dict[str, Any] = json.loads(path.read_text())
    except FileNotFoundError:
        raise CompareError(
            f"{folder} has no summary.json: is it an `aoi eval --out` folder?"
        ) from None
    except ValueError as exc:
        raise CompareError(f"{path} is not valid JSON: {exc}") from None
    if "by_family" not in summary or "overall" not in summary:
        raise CompareError(f"{path} is not an aoi eval summary")
    return summary


def compare(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Per family and overall: A's and B's avg@k and best@k, and B - A."""
    rows = {}
    for name in sorted(set(a["by_family"]) | set(b["by_family"])):
        rows[name] = _diff(a["by_family"].get(name), b["by_family"].get(name))
    return {
        "families": rows,
        "overall": _diff(a["overall"], b["overall"]),
        "worse": sorted(
            n for n, r in rows.items() if r["delta_avg"] is not None and r["delta_avg"] < 0
        ),
        "better": sorted(
            n for n, r in rows.items() if r["delta_avg"] is not None and r["delta_avg"] > 0
        ),
    }


def _diff(a: dict[str, Any] | None, b: dict[str, Any] | None) -> dict[str, Any]:
    avg_a = a["avg_at_k"] if a else None
    avg_b = b["avg_at_k"] if b else None
    return {
        "a_avg": avg_a,
        "b_avg": avg_b,
        "a_best": a["best_at_k"] if a else None,
        "b_best": b["best_at_k"] if b else None,
        "delta_avg": round(avg_b - avg_a, 4) if avg_a is not None and avg_b is not None else None,
    }


def render(result: dict[str, Any]) -> str:
    lines = [f"{'family':52} {'A avg':>7} {'B avg':>7} {'B - A':>7}"]
    for name, row in [*result["families"].items(), ("OVERALL", result["overall"])]:
        a, b, delta = _pct(row["a_avg"]), _pct(row["b_avg"]), _delta(row["delta_avg"])
        lines.append(f"{name:52} {a:>7} {b:>7} {delta:>7}")
    lines.append(f"\nbetter in {len(result['better'])} families, worse in {len(result['worse'])}")
    return "\n".join(lines)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _delta(value: float | None) -> str:
    return "-" if value is None else f"{value:+.0%}"
