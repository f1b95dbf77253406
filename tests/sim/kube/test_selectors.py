"""Label and field selectors with the API server's grammar."""

from __future__ import annotations

import pytest

from sim.kube.errors import ApiError
from sim.kube.selectors import (
    fields_match,
    labels_match,
    parse_field_selector,
    parse_label_selector,
    selector_matches,
)

LABELS = {"app": "geo", "tier": "backend"}


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("app=geo", True),
        ("app==geo", True),
        ("app!=geo", False),
        ("app in (geo,rate)", True),
        ("app notin (geo,rate)", False),
        ("tier", True),
        ("!tier", False),
        ("!canary", True),
        ("app=geo,tier in (backend, frontend)", True),
        ("app=geo,tier=frontend", False),
        ("", True),
    ],
)
def test_label_selectors(selector: str, expected: bool) -> None:
    assert labels_match(parse_label_selector(selector), LABELS) is expected


def test_bad_label_selector_is_a_400() -> None:
    with pytest.raises(ApiError) as err:
        parse_label_selector("app=(x")
    assert err.value.code == 400


def test_field_selectors_follow_each_kinds_index() -> None:
    event = {
        "metadata": {"name": "e", "namespace": "ns"},
        "involvedObject": {"kind": "Pod", "name": "geo-1", "uid": "u1"},
        "type": "Warning",
        "source": {"component": "kubelet"},
    }
    wanted = parse_field_selector(
        "involvedObject.name=geo-1,involvedObject.uid=u1,type!=Normal", "Event"
    )
    assert fields_match(wanted, event)
    assert fields_match(parse_field_selector("source=kubelet", "Event"), event)
    assert not fields_match(parse_field_selector("involvedObject.kind=Node", "Event"), event)
    with pytest.raises(ApiError, match=r"field label not supported: spec\.nodeName"):
        parse_field_selector("spec.nodeName=kind-worker", "Event")


def test_label_selector_objects() -> None:
    assert selector_matches(
        {
            "matchLabels": {"app": "geo"},
            "matchExpressions": [{"key": "tier", "operator": "In", "values": ["backend"]}],
        },
        LABELS,
    )
    assert not selector_matches(
        {"matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]}, LABELS
    )
