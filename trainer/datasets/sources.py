"""Where trajectories come from: `aoi eval` output folders (results.jsonl and one trajectory
file per run) and Slack exports (`aoi trajectories export`: trajectories.jsonl and a manifest
with its hash). Each is read lazily, one trajectory and its ground truth at a time; what cannot
be used is skipped and counted by why, never silently."""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from agents.models import Trajectory
from sim.scenario import Scenario, bundled_scenarios
from trainer.datasets.truth import GroundTruth, eval_truth, thread_truth
from trainer.eval.splits import SPLITS, SplitError, scenarios

SourceKind = Literal["eval", "slack"]
Pair = tuple[Trajectory, GroundTruth]


class DatasetError(ValueError):
    """The dataset cannot be built (or loaded) as asked, with why."""


class SourceInfo(BaseModel):
    """One source as the dataset's manifest records it."""

    model_config = ConfigDict(extra="forbid")

    path: str
    kind: SourceKind
    sha256: str  # of results.jsonl (eval) or trajectories.jsonl (slack), as read
    export_sha256: str | None = None  # what a Slack export's manifest declares (checked equal)
    exported: str | None = None  # when the Slack export was made
    trajectories: int = 0  # read and usable
    points: int = 0  # decision points built from them, before de-duplication


def open_source(path: Path, skipped: Counter[str]) -> tuple[SourceInfo, Iterator[Pair]]:
    """The source's record and its (trajectory, ground truth) pairs, read as iterated.
    Unusable parts are counted in `skipped`; a folder that is no source raises."""
    kind = source_kind(path)
    if kind == "eval":
        results = path / "results.jsonl"
        info = SourceInfo(path=str(path.resolve()), kind=kind, sha256=_sha256(results))
        return info, _eval_pairs(path, info, skipped)
    manifest = _export_manifest(path)
    text = (path / "trajectories.jsonl").read_bytes()
    actual = hashlib.sha256(text).hexdigest()
    declared = None if manifest.get("sha256") is None else str(manifest["sha256"])
    if declared is not None and declared != actual:
        raise DatasetError(
            f"{path}: trajectories.jsonl does not match its manifest (sha256 {actual[:12]}…, "
            f"the manifest says {declared[:12]}…); export it again"
        )
    info = SourceInfo(
        path=str(path.resolve()),
        kind=kind,
        sha256=actual,
        export_sha256=declared,
        exported=None if manifest.get("exported") is None else str(manifest["exported"]),
    )
    return info, _slack_pairs(text.decode(), info, skipped)


def source_kind(path: Path) -> SourceKind:
    """What a folder holds: an `aoi eval` run or a Slack export."""
    if not path.is_dir():
        raise DatasetError(f"{path} is not a folder (an `aoi eval` run or a Slack export)")
    if (path / "results.jsonl").is_file():
        return "eval"
    if (path / "trajectories.jsonl").is_file():
        if not (path / "manifest.json").is_file():
            raise DatasetError(
                f"{path} has trajectories.jsonl but no manifest.json: "
                "make exports with `aoi trajectories export --out DIR`"
            )
        return "slack"
    raise DatasetError(
        f"{path} is neither an `aoi eval` run (results.jsonl) nor a Slack export "
        "(trajectories.jsonl and manifest.json)"
    )


def _eval_pairs(folder: Path, info: SourceInfo, skipped: Counter[str]) -> Iterator[Pair]:
    known = _scenarios_of(folder)
    for line in (folder / "results.jsonl").read_text().splitlines():
        if not line.strip():
            continue
        record = _record(line)
        if record is None:
            skipped["results line that is not a result record"] += 1
            continue
        if not record.get("trajectory"):
            skipped["run without a trajectory (the attempt failed before it had one)"] += 1
            continue
        file = _trajectory_file(folder, str(record["trajectory"]))
        if file is None:
            skipped["trajectory file missing"] += 1
            continue
        scenario = known.get(str(record["scenario"]))
        if scenario is None:
            skipped["scenario unknown (neither bundled nor in the run's split folder)"] += 1
            continue
        try:
            trajectory = Trajectory.from_json_line(file.read_text())
        except (ValidationError, ValueError):
            skipped["trajectory file unreadable"] += 1
            continue
        info.trajectories += 1
        yield trajectory, eval_truth(scenario, record)


def _slack_pairs(text: str, info: SourceInfo, skipped: Counter[str]) -> Iterator[Pair]:
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            trajectory = Trajectory.from_json_line(line)
        except (ValidationError, ValueError):
            skipped["trajectory line unreadable"] += 1
            continue
        info.trajectories += 1
        yield trajectory, thread_truth(trajectory)


def _record(line: str) -> dict[str, Any] | None:
    try:
        record = json.loads(line)
    except ValueError:
        return None  # e.g. a line cut by an interrupted run
    if not isinstance(record, dict) or not all(
        isinstance(record.get(k), str) for k in ("scenario", "task", "family")
    ):
        return None
    return record


def _trajectory_file(folder: Path, recorded: str) -> Path | None:
    """The run's trajectory: the one in the run's own folder (which may have been moved or
    copied since), else where the run wrote it."""
    for candidate in (folder / "trajectories" / Path(recorded).name, Path(recorded)):
        if candidate.is_file():
            return candidate
    return None


def _scenarios_of(folder: Path) -> dict[str, Scenario]:
    """The scenarios a run may name: the bundled ones, and those of its split folder (which
    win: that file is what the run ran)."""
    known = dict(bundled_scenarios())
    try:
        split = json.loads((folder / "run.json").read_text()).get("split")
    except (OSError, ValueError, AttributeError):
        split = None
    if isinstance(split, str) and split not in SPLITS:
        # A split folder gone or changed since: only bundled scenarios can be labelled.
        with contextlib.suppress(SplitError):
            known.update({s.id: s for s, _ in scenarios(split)})
    return known


def _export_manifest(folder: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
    except ValueError as exc:
        raise DatasetError(f"{folder / 'manifest.json'} is not JSON: {exc}") from None
    if not isinstance(manifest, dict):
        raise DatasetError(f"{folder / 'manifest.json'} is not a JSON object")
    return manifest


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
