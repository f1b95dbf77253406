"""A worker warms a scenario's snapshot only when its next attempt starts that scenario again."""

from __future__ import annotations

from pathlib import Path

from sim import session
from sim.scenario import find_scenario
from tests.conftest import PRESENT
from trainer.eval.attempt import AgentSpec, AttemptSpec, iter_attempts


def _spec(scenario: str, task: str, out: Path) -> AttemptSpec:
    return AttemptSpec(scenario, task, 0, scenario, f"{scenario}-{task}", str(out), PRESENT)


def test_only_a_scenario_started_again_next_is_warmed(tmp_path: Path) -> None:
    session._SNAPSHOTS.clear()
    again, once = "scale_pod_zero_social_net-1", "noop_detection_hotel_reservation-1"
    specs = [
        _spec(again, "detection", tmp_path),
        _spec(again, "localization", tmp_path),
        _spec(once, "detection", tmp_path),
    ]
    records = list(iter_attempts(specs, AgentSpec()))
    assert [r["success"] for r in records] == [True, True, True], records
    warmed = {scenario_json: kept[1] for (scenario_json, _, _), kept in session._SNAPSHOTS.items()}
    assert warmed == {
        find_scenario(again).model_dump_json(): True,
        find_scenario(once).model_dump_json(): False,
    }
