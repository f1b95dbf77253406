"""Which scenarios and tasks an evaluation runs: the AOI paper's split by fault type, the
everyday catalogue, or a folder of the user's own scenario files. A *problem* is one task of
one scenario (AIOpsLab's unit: `revoke_auth_mongodb-analysis-1`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from sim.scenario import (
    TASK_TYPES,
    Scenario,
    ScenarioError,
    TaskType,
    bundled_scenarios,
    load_scenario_file,
)

SPLITS = ("all", "aoi", "aoi-train", "aoi-test", "everyday")
# `aoi` is the whole AOI set (AIOpsLab's 86 task ids, and the third Kafka task): train + test.
# The AOI paper trains on these fault types and holds the rest out (38 tasks train).
AOI_TRAIN_FAMILIES = frozenset(
    {
        "k8s_target_port-misconfig",
        "scale_pod_zero_social_net",
        "misconfig_app_hotel_res",
        "auth_miss_mongodb",
        "redeploy_without_PV",
        "network_loss_hotel_res",
        "astronomy_shop_cart_service_failure",
        "astronomy_shop_payment_service_failure",
        "astronomy_shop_product_catalog_service_failure",
        "astronomy_shop_recommendation_service_cache_failure",
        "noop_detection_hotel_reservation",
    }
)
_TASK_SUFFIX = re.compile(r"-(detection|localization|analysis|mitigation)(-\d+)?$|-\d+$")


class SplitError(ValueError):
    """The split names nothing we can run."""


@dataclass(frozen=True)
class Problem:
    scenario: Scenario
    task: TaskType
    source: str  # the bundled scenario's id, or the user's file that declares it

    @property
    def id(self) -> str:
        return self.scenario.task_id(self.task)

    @property
    def family(self) -> str:
        return family(self.scenario, self.task)


def family(scenario: Scenario, task: TaskType) -> str:
    """The fault family: the AIOpsLab problem name without its task and number, or for our
    own scenarios the first fault primitive ('healthy' when there is none)."""
    if scenario.aiopslab_ids:
        return _TASK_SUFFIX.sub("", scenario.task_id(task))
    return scenario.faults[0].primitive if scenario.faults else "healthy"


def problems(split: str, tasks: tuple[TaskType, ...] = TASK_TYPES) -> list[Problem]:
    """The problems of a split (or of the scenario files in a folder), in a stable order."""
    chosen = [Problem(s, t, src) for s, src in scenarios(split) for t in s.tasks if t in tasks]
    if split == "aoi-train":
        chosen = [p for p in chosen if p.family in AOI_TRAIN_FAMILIES]
    elif split == "aoi-test":
        chosen = [p for p in chosen if p.family not in AOI_TRAIN_FAMILIES]
    if not chosen:
        raise SplitError(f"split {split!r} has no {'/'.join(tasks)} tasks")
    return sorted(chosen, key=lambda p: (p.scenario.id, TASK_TYPES.index(p.task)))


def scenarios(split: str) -> list[tuple[Scenario, str]]:
    """(scenario, source) pairs of a split or folder."""
    if split not in SPLITS:
        return _folder(Path(split))
    bundled = [(s, s.id) for s in bundled_scenarios().values()]
    if split == "everyday":
        return [(s, src) for s, src in bundled if "aiopslab" not in s.tags]
    if split == "all":
        return bundled
    return [(s, src) for s, src in bundled if "aiopslab" in s.tags]


def _folder(path: Path) -> list[tuple[Scenario, str]]:
    if not path.is_dir():
        raise SplitError(f"{path} is neither a split ({', '.join(SPLITS)}) nor a folder")
    files = sorted([*path.glob("*.yaml"), *path.glob("*.yml")])
    if not files:
        raise SplitError(f"no scenario files (*.yaml) in {path}")
    found: list[tuple[Scenario, str]] = []
    problems_seen: list[str] = []
    for file in files:
        try:
            found.append((load_scenario_file(file), str(file.resolve())))
        except ScenarioError as exc:
            problems_seen.append(str(exc))
    if problems_seen:
        raise SplitError("invalid scenario files:\n" + "\n".join(problems_seen))
    ids = [s.id for s, _ in found]
    if len(set(ids)) != len(ids):
        raise SplitError(f"two files in {path} declare the same scenario id")
    return found
