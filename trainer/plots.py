"""The reward curves of a GRPO run, as a PNG: the weighted mean reward per step and each
reward function's own mean, from TRL's log history."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def plot_rewards(history: list[dict[str, Any]], out: Path, title: str = "GRPO") -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = [e.get("step", i + 1) for i, e in enumerate(history) if "reward" in e]
    logged = [e for e in history if "reward" in e]
    figure, (total, parts) = plt.subplots(1, 2, figsize=(11, 4))
    total.plot(steps, [e["reward"] for e in logged], marker=".", label="mean reward")
    if len(logged) >= 5:
        window = max(2, len(logged) // 8)
        values = [e["reward"] for e in logged]
        smooth = [sum(values[max(0, i - window + 1) : i + 1]) / min(window, i + 1)
                  for i in range(len(values))]  # fmt: skip
        total.plot(steps, smooth, label=f"moving mean ({window} steps)")
    total.set_xlabel("step")
    total.set_ylabel("weighted reward")
    total.set_title(title)
    total.legend()
    names = sorted(
        {k for e in logged for k in e if k.startswith("rewards/") and k.endswith("/mean")}
    )
    for name in names:
        parts.plot(steps, [e.get(name, float("nan")) for e in logged], label=name.split("/")[1])
    parts.set_xlabel("step")
    parts.set_ylabel("mean, before weighting")
    parts.set_title("each reward")
    if names:
        parts.legend(fontsize=7)
    figure.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, dpi=110)
    plt.close(figure)
    return out
