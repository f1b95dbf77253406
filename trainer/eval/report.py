"""summary.md (the table) and the PNG charts of an evaluation: success by task type and by
fault family, and best@k against avg@k."""

from __future__ import annotations

from pathlib import Path
from typing import Any

HEAD = (
    "| {} | problems | runs | successes | avg@1 | avg@{k} | best@{k} |\n"
    "|---|---:|---:|---:|---:|---:|---:|\n"
)
HEAD_ONE = "| {} | problems | runs | successes | success |\n|---|---:|---:|---:|---:|\n"


def _row(name: str, s: dict[str, Any], k: int) -> str:
    if k == 1:  # avg@1, avg@k and best@k are one number
        return (
            f"| {name} | {s['problems']} | {s['runs']} | {s['successes']} | {s['avg_at_1']:.1%} |\n"
        )
    return (
        f"| {name} | {s['problems']} | {s['runs']} | {s['successes']} | "
        f"{s['avg_at_1']:.1%} | {s['avg_at_k']:.1%} | {s['best_at_k']:.1%} |\n"
    )


def table(summary: dict[str, Any]) -> str:
    """The summary as Markdown: per task type with the overall row, then per fault family."""
    k = summary["k"]
    text = (
        f"# aoi eval: agent {summary['agent']}, split {summary['split']}, k={k}, "
        f"{summary['seconds']:.0f} s\n\n"
    )
    head = HEAD_ONE if k == 1 else HEAD
    text += head.format("task", k=k)
    for task, stats in summary["by_task"].items():
        text += _row(task, stats, k)
    text += _row("**overall**", summary["overall"], k)
    text += "\n" + head.format("fault family", k=k)
    for name, stats in summary["by_family"].items():
        text += _row(name, stats, k)
    return text


def write_report(out: Path, summary: dict[str, Any], records: list[dict[str, Any]]) -> None:
    (out / "summary.md").write_text(table(summary))
    if records:
        charts(out, summary)


def charts(out: Path, summary: dict[str, Any]) -> None:
    import matplotlib

    matplotlib.use("Agg")  # files only; no display on a server
    import matplotlib.pyplot as plt

    k = summary["k"]
    title = f"agent {summary['agent']}, split {summary['split']}, k={k}"
    tasks = list(summary["by_task"])
    figure, axes = plt.subplots(figsize=(6, 3.5))
    axes.bar(tasks, [summary["by_task"][t]["avg_at_k"] for t in tasks], color="#4c72b0")
    axes.set_ylim(0, 1)
    axes.set_ylabel(f"success (avg@{k})")
    axes.set_title(f"By task type: {title}")
    figure.tight_layout()
    figure.savefig(out / "success_by_task.png", dpi=120)
    plt.close(figure)

    families = list(summary["by_family"])
    figure, axes = plt.subplots(figsize=(7, max(3.0, 0.28 * len(families) + 1)))
    axes.barh(families, [summary["by_family"][f]["avg_at_k"] for f in families], color="#55a868")
    axes.set_xlim(0, 1)
    axes.invert_yaxis()
    axes.set_xlabel(f"success (avg@{k})")
    axes.tick_params(axis="y", labelsize=7)
    axes.set_title(f"By fault family: {title}")
    figure.tight_layout()
    figure.savefig(out / "success_by_family.png", dpi=120)
    plt.close(figure)

    names = [*tasks, "overall"]
    stats = [*(summary["by_task"][t] for t in tasks), summary["overall"]]
    positions = range(len(names))
    figure, axes = plt.subplots(figsize=(6.5, 3.5))
    axes.bar([p - 0.2 for p in positions], [s["best_at_k"] for s in stats], 0.4, label=f"best@{k}")
    axes.bar([p + 0.2 for p in positions], [s["avg_at_k"] for s in stats], 0.4, label=f"avg@{k}")
    axes.set_xticks(list(positions), names)
    axes.set_ylim(0, 1)
    axes.legend()
    axes.set_title(f"best@{k} vs avg@{k}: {title}")
    figure.tight_layout()
    figure.savefig(out / "best_vs_avg.png", dpi=120)
    plt.close(figure)
