"""best@k and avg@k arithmetic."""

from __future__ import annotations

from typing import Any

from trainer.eval.scores import group_stats, summarize


def runs(scenario: str, task: str, outcomes: list[bool], family: str = "f") -> list[dict[str, Any]]:
    return [
        {"scenario": scenario, "task": task, "attempt": i, "success": ok, "family": family}
        for i, ok in enumerate(outcomes)
    ]


def test_best_and_avg_at_k() -> None:
    records = [
        *runs("a", "detection", [False, True, False]),  # solved once
        *runs("b", "detection", [True, True, True]),  # always
        *runs("c", "detection", [False, False, False]),  # never
    ]
    stats = group_stats(records, k=3)
    assert stats["problems"] == 3 and stats["runs"] == 9 and stats["successes"] == 4
    assert stats["avg_at_1"] == round(1 / 3, 4)  # only b's first attempt
    assert stats["avg_at_k"] == round(4 / 9, 4)
    assert stats["best_at_k"] == round(2 / 3, 4)
    # With k=1 only the first attempts count, whatever else the file holds.
    first = group_stats(records, k=1)
    assert first["runs"] == 3 and first["avg_at_k"] == first["avg_at_1"] == first["best_at_k"]


def test_summary_groups_by_task_family_and_overall() -> None:
    records = [
        *runs("a", "detection", [True, False], "x"),
        *runs("a", "localization", [False, False], "x"),
        *runs("b", "detection", [True, True], "y"),
    ]
    summary = summarize(records, k=2)
    assert summary["by_task"]["detection"]["best_at_k"] == 1.0
    assert summary["by_task"]["localization"]["best_at_k"] == 0.0
    assert summary["by_family"]["x"]["avg_at_k"] == 0.25
    assert summary["overall"]["problems"] == 3 and summary["overall"]["successes"] == 3
    assert group_stats([], k=2) == {
        "problems": 0, "runs": 0, "successes": 0, "avg_at_1": 0.0, "avg_at_k": 0.0,
        "best_at_k": 0.0,
    }  # fmt: skip


def test_the_table_has_one_success_column_when_k_is_one() -> None:
    from trainer.eval.report import table

    summary = {**summarize(runs("a", "detection", [True]), k=1), "k": 1}
    summary |= {"agent": "rules", "split": "all", "seconds": 3.0}
    text = table(summary)
    assert "| task | problems | runs | successes | success |" in text
    assert "| detection | 1 | 1 | 1 | 100.0% |" in text
    assert "avg@" not in text
