"""The AOI paper's split by fault type, the everyday catalogue, a user's folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from trainer.eval.splits import AOI_TRAIN_FAMILIES, SplitError, problems


def test_the_aoi_split_is_by_fault_type_and_covers_the_set() -> None:
    train, test = problems("aoi-train"), problems("aoi-test")
    assert len(train) == 38  # the paper's 38 training tasks
    assert {p.family for p in train} == AOI_TRAIN_FAMILIES
    assert not {p.family for p in train} & {p.family for p in test}
    assert {p.id for p in train} | {p.id for p in test} == {p.id for p in problems("all")} - {
        p.id for p in problems("everyday")
    }
    assert all("-" in p.id for p in train) and train[0].source == train[0].scenario.id
    whole = problems("aoi")
    assert sorted(p.id for p in whole) == sorted(p.id for p in train + test)
    assert len(whole) == 87  # AIOpsLab's 86 task ids and the third Kafka task


def test_a_folder_of_user_scenarios_and_its_errors(tmp_path: Path) -> None:
    bundled = Path(__file__).parents[3] / "sim" / "scenarios"
    (tmp_path / "mine.yaml").write_text((bundled / "k8s_target_port-misconfig-1.yaml").read_text())
    found = problems(str(tmp_path), ("detection", "localization"))
    assert [p.task for p in found] == ["detection", "localization"]
    assert found[0].source == str((tmp_path / "mine.yaml").resolve())
    assert found[0].family == "k8s_target_port-misconfig"
    (tmp_path / "broken.yaml").write_text("id: x\napp: nowhere\n")
    with pytest.raises(SplitError, match="invalid scenario files"):
        problems(str(tmp_path))
    with pytest.raises(SplitError, match="neither a split"):
        problems(str(tmp_path / "missing"))
    with pytest.raises(SplitError, match="no scenario files"):
        problems(str(_empty(tmp_path)))


def _empty(root: Path) -> Path:
    empty = root / "empty"
    empty.mkdir()
    return empty
