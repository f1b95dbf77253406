"""The command classifier against a labelled corpus, per role."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from policies import classify_command

CORPUS = Path(__file__).with_name("commands.txt")


def corpus() -> list[tuple[str, str, str]]:
    rows = []
    for line in CORPUS.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        labels, _, command = line.partition("|")
        probe, executor = labels.split()
        rows.append((probe, executor, command.strip()))
    return rows


def test_the_corpus_is_large_and_covers_every_decision() -> None:
    rows = corpus()
    assert len(rows) >= 300
    assert {p for p, _, _ in rows} == {"allow", "deny"}
    assert {e for _, e, _ in rows} == {"allow", "needs_approval", "deny"}


@pytest.mark.parametrize(("probe", "executor", "command"), corpus())
def test_every_role_decides_as_labelled(probe: str, executor: str, command: str) -> None:
    argv = shlex.split(command)
    assert classify_command(argv, "observer").decision == "deny"
    decided = classify_command(argv, "probe")
    assert decided.decision == probe, decided.reason
    decided = classify_command(argv, "executor")
    assert decided.decision == executor, decided.reason
