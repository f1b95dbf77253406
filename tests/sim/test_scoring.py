"""AIOpsLab's scoring, quirks included."""

from __future__ import annotations

import pytest

from sim.scenario import find_scenario
from sim.scoring import score_analysis, score_detection, score_localization

REVOKE = find_scenario("revoke_auth_mongodb-1")
TARGET_PORT = find_scenario("k8s_target_port-misconfig-1")
NOOP = find_scenario("noop_detection_hotel_reservation-1")


@pytest.mark.parametrize(
    ("scenario", "answer", "ok"),
    [
        (REVOKE, "Yes", True),
        (REVOKE, " yes ", True),
        (REVOKE, "No", False),
        (NOOP, "No", True),
        (NOOP, "Yes", False),
        (REVOKE, ["Yes"], False),
        (REVOKE, None, False),
    ],
)
def test_detection(scenario: object, answer: object, ok: bool) -> None:
    assert score_detection(scenario, answer).success is ok  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("answer", "ok", "accuracy"),
    [
        (["mongodb-geo"], True, 100.0),
        (["geo"], True, 100.0),  # the mongodb- prefix rule
        ("geo", True, 100.0),  # a bare string counts as a one-element list
        (["mongodb-geo", "geo"], False, 50.0),  # a superset: partial accuracy, no success
        (["mongodb-geo", "geo", "rate"], False, 100 / 3),
        (["rate"], False, 0.0),
        (None, False, 0.0),
    ],
)
def test_localization_with_aliases(answer: object, ok: bool, accuracy: float) -> None:
    score = score_localization(REVOKE, answer)
    assert (score.success, score.accuracy) == (ok, pytest.approx(accuracy))


def test_localization_is_case_sensitive_without_aliases() -> None:
    assert score_localization(TARGET_PORT, ["user-service"]).success
    assert not score_localization(TARGET_PORT, ["User-Service"]).success
    assert not score_localization(TARGET_PORT, ["user"]).success


def test_analysis() -> None:
    right = {"system_level": " application ", "fault_type": "authentication issue"}
    assert score_analysis(REVOKE, right).success
    assert not score_analysis(REVOKE, {**right, "fault_type": "Misconfiguration"}).success
    assert not score_analysis(REVOKE, "Application").success
