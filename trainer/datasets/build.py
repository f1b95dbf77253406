"""The dataset itself: every source's decision points as rows, de-duplicated, split by fault
family (evaluation never sees a training family), saved with `datasets` as Arrow and Parquet,
with a manifest of sources, counts, parameters and a hash over the rows."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections import Counter
from collections.abc import Collection, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from trainer.datasets.sources import DatasetError, SourceInfo, open_source
from trainer.datasets.views import CONTEXT_TOKENS, MAX_ITERATIONS, rebuild
from trainer.decision_points import ROW_COLUMNS
from trainer.eval.splits import AOI_TRAIN_FAMILIES

if TYPE_CHECKING:
    from datasets import DatasetDict, Features

MANIFEST_VERSION = 1
SPLIT_NAMES = ("train", "test")
SHARD_BYTES = 500 * 2**20  # datasets' own default shard size
Row = dict[str, Any]


class Counts(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rows: dict[str, int]  # per split
    families: dict[str, dict[str, int]]  # per split, per family
    sources: dict[str, int]  # rows per source kind (eval, slack)
    skipped: dict[str, int] = Field(default_factory=dict)  # why, how many


class Manifest(BaseModel):
    """What a dataset folder holds and how it was made."""

    model_config = ConfigDict(extra="forbid")

    version: int = MANIFEST_VERSION
    built: datetime
    sources: list[SourceInfo]
    parameters: dict[str, Any]
    counts: Counts
    sha256: str  # over the rows, train then test (see `rows_sha256`)


def build_dataset(
    sources: list[Path],
    out: Path,
    *,
    max_iterations: int = MAX_ITERATIONS,
    context_tokens: int = CONTEXT_TOKENS,
    families_for_train: Collection[str] = AOI_TRAIN_FAMILIES,
) -> Manifest:
    """Build the decision-point dataset of `sources` (eval runs and Slack exports, mixed)
    into `out`: `arrow/` (a DatasetDict with train and test), `train.parquet`,
    `test.parquet` and `manifest.json`, which is written last and returned.

    Eval rows whose family is in `families_for_train` are train, the other eval rows test;
    Slack rows are train unless their family is one the eval rows hold out."""
    if not sources:
        raise DatasetError("no sources: name `aoi eval` runs or Slack exports")
    skipped: Counter[str] = Counter()
    infos: list[SourceInfo] = []
    rows: list[Row] = []
    for path in dict.fromkeys(sources):  # the same folder twice counts once
        info, pairs = open_source(path, skipped)
        for trajectory, truth in pairs:
            points, left_out = rebuild(
                trajectory, truth, max_iterations=max_iterations, context_tokens=context_tokens
            )
            skipped.update(left_out)
            info.points += len(points)
            rows += [p.as_row() for p in points]
        infos.append(info)
    if not rows:
        why = "; ".join(f"{k}: {v}" for k, v in sorted(skipped.items())) or "no trajectories"
        raise DatasetError(f"no decision points in {', '.join(map(str, sources))} ({why})")
    unique = deduplicated(rows)
    if len(unique) < len(rows):
        skipped["duplicate of an identical (prompt, ground truth) row"] += len(rows) - len(unique)
    splits = split_by_family(unique, families_for_train)
    manifest = Manifest(
        built=datetime.now(UTC),
        sources=infos,
        parameters={
            "max_iterations": max_iterations,
            "context_tokens": context_tokens,
            "families_for_train": sorted(families_for_train),
        },
        counts=_counts(splits, skipped),
        sha256=rows_sha256(splits),
    )
    _save(splits, manifest, out)
    return manifest


def load_dataset_dir(path: Path) -> DatasetDict:
    """A dataset folder made by `build_dataset`, checked against its manifest's hash."""
    from datasets import load_from_disk

    manifest_file, arrow = path / "manifest.json", path / "arrow"
    if not manifest_file.is_file() or not arrow.is_dir():
        raise DatasetError(f"{path} is not a dataset folder (no manifest.json and arrow/)")
    try:
        manifest = Manifest.model_validate_json(manifest_file.read_text())
    except ValueError as exc:
        raise DatasetError(f"{manifest_file}: not a dataset manifest: {exc}") from None
    loaded = load_from_disk(str(arrow))
    splits = {name: loaded[name].to_list() for name in SPLIT_NAMES if name in loaded}
    if rows_sha256(splits) != manifest.sha256:
        raise DatasetError(f"{path}: the rows do not match the manifest's sha256; rebuild it")
    return loaded


def deduplicated(rows: Iterable[Row]) -> list[Row]:
    """Each (prompt, ground truth) once, in a stable order: the same rows whatever the order
    of the sources. Rows differing only in the trajectory they came from are one."""
    order = ("source", "family", "scenario", "task", "trajectory_id", "iteration")
    ordered = sorted(rows, key=lambda r: tuple(r[k] for k in order))
    seen: set[str] = set()
    kept: list[Row] = []
    for row in ordered:
        key = _canonical({k: v for k, v in row.items() if k != "trajectory_id"})
        if key not in seen:
            seen.add(key)
            kept.append(row)
    return kept


def split_by_family(rows: list[Row], families_for_train: Collection[str]) -> dict[str, list[Row]]:
    """Train and test rows; no family is on both sides."""
    held_out = {r["family"] for r in rows if r["source"] == "eval"} - set(families_for_train)
    splits: dict[str, list[Row]] = {name: [] for name in SPLIT_NAMES}
    for row in rows:
        splits["test" if row["family"] in held_out else "train"].append(row)
    both = {r["family"] for r in splits["train"]} & {r["family"] for r in splits["test"]}
    assert not both, f"families on both sides of the split: {sorted(both)}"
    return splits


def rows_sha256(splits: dict[str, list[Row]]) -> str:
    """sha256 over every row as canonical JSON, one a line, train then test."""
    digest = hashlib.sha256()
    for name in SPLIT_NAMES:
        for row in splits.get(name, []):
            digest.update(_canonical(row).encode() + b"\n")
    return digest.hexdigest()


def _counts(splits: dict[str, list[Row]], skipped: Counter[str]) -> Counts:
    sources: Counter[str] = Counter(r["source"] for rows in splits.values() for r in rows)
    return Counts(
        rows={name: len(rows) for name, rows in splits.items()},
        families={
            name: dict(sorted(Counter(r["family"] for r in rows).items()))
            for name, rows in splits.items()
        },
        sources=dict(sorted(sources.items())),
        skipped=dict(sorted(skipped.items())),
    )


def _save(splits: dict[str, list[Row]], manifest: Manifest, out: Path) -> None:
    from datasets import Dataset, DatasetDict
    from datasets import utils as progress_bars

    features = _features()
    # By column: an empty split still gets every column (from_list([]) would have none).
    data = DatasetDict(
        {
            name: Dataset.from_dict({k: [r[k] for r in rows] for k in features}, features=features)
            for name, rows in splits.items()
        }
    )
    quiet = progress_bars.are_progress_bars_disabled()
    progress_bars.disable_progress_bars()  # bars for a few hundred rows are only noise
    try:
        out.mkdir(parents=True, exist_ok=True)
        # Ours only, and the manifest first: a folder without one is never taken as complete.
        (out / "manifest.json").unlink(missing_ok=True)
        shutil.rmtree(out / "arrow", ignore_errors=True)
        # At least one shard each: datasets writes none for an empty split, then cannot load it.
        shards = {n: max(1, -(-d.data.nbytes // SHARD_BYTES)) for n, d in data.items()}
        data.save_to_disk(str(out / "arrow"), num_shards=shards)
        for name, split in data.items():
            split.to_parquet(str(out / f"{name}.parquet"))
        (out / "manifest.json").write_text(manifest.model_dump_json(indent=2) + "\n")
    except OSError as exc:
        raise DatasetError(f"cannot write the dataset to {out}: {exc}") from None
    finally:
        if not quiet:
            progress_bars.enable_progress_bars()


def _features() -> Features:
    """The Arrow schema of a row (trainer/decision_points.py), fixed so that an empty split
    and a column of nulls still have their types."""
    from datasets import Features, List, Value

    text, names = Value("string"), List(Value("string"))
    features = Features(
        {
            "prompt": List({"role": Value("string"), "content": Value("string")}),
            "view_json": text,
            "source": text,
            "trajectory_id": text,
            "iteration": Value("int64"),
            "scenario": text,
            "family": text,
            "task": text,
            "namespace": text,
            "reference_action": text,
            "reference_targets": names,
            "detected": Value("bool"),
            "faulty_components": names,
            "aliases_json": text,
            "system_level": text,
            "fault_type": text,
            "fixes": names,
            "correction": text,
        }
    )
    assert set(features) == set(ROW_COLUMNS), "the schema and decision_points.ROW_COLUMNS differ"
    return features


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)
