"""Server-side printing: the cells kubectl shows."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sim.kube.printers import table
from sim.kube.resources import resource_for_kind
from sim.kube.rows.format import human_duration

NOW = datetime(2026, 1, 13, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (-5, "<invalid>"),
        (-1, "0s"),
        (90, "90s"),
        (125, "2m5s"),
        (600, "10m"),
        (10800, "3h"),
        (19800, "5h30m"),
        (108000, "30h"),
        (180000, "2d2h"),
        (864000, "10d"),
        (800 * 86400, "2y70d"),
    ],
)
def test_human_duration(seconds: int, text: str) -> None:
    assert human_duration(seconds) == text


def _pod(state: dict, *, restarts: int = 0, last: dict | None = None, ready: bool = False) -> dict:
    status = {
        "name": "c",
        "ready": ready,
        "restartCount": restarts,
        "state": state,
        "lastState": {"terminated": last} if last else {},
    }
    return {
        "metadata": {"name": "p", "creationTimestamp": "2026-01-13T11:30:00Z"},
        "spec": {"containers": [{"name": "c"}], "nodeName": "kind-worker"},
        "status": {
            "phase": "Running",
            "podIP": "10.244.1.5",
            "podIPs": [{"ip": "10.244.1.5"}],
            "containerStatuses": [status],
        },
    }


def test_pod_row_shows_crashloop_restarts_and_wide_columns() -> None:
    pod = _pod(
        {"waiting": {"reason": "CrashLoopBackOff"}},
        restarts=4,
        last={"exitCode": 1, "reason": "Error", "finishedAt": "2026-01-13T11:57:35Z"},
    )
    result = table(resource_for_kind("Pod"), [pod], NOW, None)
    row = result["rows"][0]
    assert row["cells"] == [
        "p",
        "0/1",
        "CrashLoopBackOff",
        "4 (2m25s ago)",
        "30m",
        "10.244.1.5",
        "kind-worker",
        "<none>",
        "<none>",
    ]
    assert row["object"]["kind"] == "PartialObjectMetadata"
    assert [c["priority"] for c in result["columnDefinitions"]] == [0, 0, 0, 0, 0, 1, 1, 1, 1]


def test_pod_completed_but_running_reads_running() -> None:
    pod = _pod({"running": {}}, ready=True)
    assert table(resource_for_kind("Pod"), [pod], NOW, "None")["rows"][0]["cells"][2] == "Running"


def test_service_and_event_rows() -> None:
    service = {
        "metadata": {"name": "user-service", "creationTimestamp": "2026-01-13T11:00:00Z"},
        "spec": {
            "type": "ClusterIP",
            "clusterIP": "10.96.1.2",
            "clusterIPs": ["10.96.1.2"],
            "selector": {"service": "user-service"},
            "ports": [{"port": 9090, "protocol": "TCP"}],
        },
    }
    cells = table(resource_for_kind("Service"), [service], NOW, None)["rows"][0]["cells"]
    assert cells == [
        "user-service",
        "ClusterIP",
        "10.96.1.2",
        "<none>",
        "9090/TCP",
        "60m",
        "service=user-service",
    ]
    event = {
        "metadata": {"name": "geo.1"},
        "type": "Warning",
        "reason": "BackOff",
        "message": "Back-off restarting failed container",
        "involvedObject": {"kind": "Pod", "name": "geo-1"},
        "source": {"component": "kubelet", "host": "kind-worker"},
        "count": 7,
        "firstTimestamp": "2026-01-13T11:55:00Z",
        "lastTimestamp": "2026-01-13T11:59:00Z",
    }
    cells = table(resource_for_kind("Event"), [event], NOW, None)["rows"][0]["cells"]
    assert cells[:4] == ["60s", "Warning", "BackOff", "pod/geo-1"]
    assert cells[5] == "kubelet, kind-worker" and cells[8] == 7
