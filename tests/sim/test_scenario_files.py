"""Scenarios are data: the bundled ones cover the AOI evaluation; bad files fail by line."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.faults import PRIMITIVES
from sim.scenario import ScenarioError, aiopslab_task, bundled_scenarios, parse_scenario

TASK_IDS = Path(__file__).parent / "aoi-86-task-ids.txt"


def test_all_86_aoi_task_ids_are_runnable() -> None:
    ids = [line.strip() for line in TASK_IDS.read_text().splitlines() if line.strip()]
    assert len(ids) == 86
    found = [aiopslab_task(task_id) for task_id in ids]
    assert all(found), [i for i, f in zip(ids, found, strict=True) if not f]
    counts: dict[str, int] = {}
    for item in found:
        assert item is not None
        counts[item[1]] = counts.get(item[1], 0) + 1
    assert counts == {"detection": 32, "localization": 28, "analysis": 13, "mitigation": 13}


def test_every_bundled_scenario_uses_known_primitives() -> None:
    scenarios = bundled_scenarios()
    assert len(scenarios) >= 32
    used = {f.primitive for s in scenarios.values() for f in s.faults}
    assert used <= set(PRIMITIVES.entries)


GOOD = """\
id: my-incident
title: Cart pinned to a missing node
app: social-network
tasks: [detection, localization]
faults:
  - primitive: node_selector
    params:
      deployment: user-service
      node_selector: {disk: ssd}
labels:
  faulty_components: [user-service]
"""


def test_a_user_written_scenario_parses() -> None:
    scenario = parse_scenario(GOOD)
    assert scenario.faults[0].params["node_selector"] == {"disk": "ssd"}
    assert scenario.task_id("detection") == "my-incident-detection"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (GOOD.replace("app: social-network", "app: socialnet"), "x.yaml:3: app: Input should be"),
        (
            GOOD.replace("      deployment: user-service\n", ""),
            "x.yaml:6: faults[0]: params.deployment: Field required",
        ),
        (
            GOOD.replace("node_selector\n", "unplug_cable\n"),
            "x.yaml:6: faults[0]: unknown primitive",
        ),
        (GOOD + "labels2: {}\n", "x.yaml:12: labels2: Extra inputs are not permitted"),
        ("id: [unclosed\n", "x.yaml:2: not valid YAML"),
        (
            GOOD.replace("[detection, localization]", "[detection, mitigation]"),
            "x.yaml:4: tasks: a mitigation task needs a `mitigation` section",
        ),
    ],
)
def test_errors_point_at_lines(text: str, expected: str) -> None:
    with pytest.raises(ScenarioError) as err:
        parse_scenario(text, "x.yaml")
    assert expected in str(err.value), str(err.value)
