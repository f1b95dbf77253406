"""The simulated cluster's dynamics: back-off, rollouts, images, init containers, determinism."""

from __future__ import annotations

import json
from typing import Any

from sim.scenario import find_scenario
from sim.session import start_scenario
from tests.conftest import PRESENT


def _pod_state(running: Any) -> list[tuple[str, str, int]]:
    out = []
    for pod in running.cluster.world.store.kind_iter("Pod", running.namespace):
        restarts = sum(s["restartCount"] for s in pod["status"].get("containerStatuses") or [])
        out.append((pod["metadata"]["name"], pod["status"]["phase"], restarts))
    return out


def test_same_scenario_same_present_same_cluster() -> None:
    scenario = find_scenario("revoke_auth_mongodb-1")
    first = start_scenario(scenario, present=PRESENT, serve=False)
    second = start_scenario(scenario, present=PRESENT, serve=False)
    assert _pod_state(first) == _pod_state(second)
    geo = next(n for n, _, _ in _pod_state(first) if n.startswith("geo-"))
    assert first.cluster.api.logs(first.namespace, geo) == second.cluster.api.logs(
        second.namespace, geo
    )
    assert _pod_state(first) != _pod_state(
        start_scenario(scenario, present=PRESENT, seed=99, serve=False)
    )


def test_crash_loop_back_off_doubles(scenario_cluster: Any) -> None:
    running, _ = scenario_cluster("revoke_auth_mongodb-1")
    running.cluster.advance(600)
    world = running.cluster.world
    pod = next(
        p
        for p in world.store.kind_iter("Pod", running.namespace)
        if p["metadata"]["name"].startswith("geo-")
    )
    run = world.kubelet.container_run(pod, "hotel-reserv-geo")
    assert run is not None
    gaps = [
        round((b.started - a.ended).total_seconds())
        for a, b in zip(run.attempts, run.attempts[1:], strict=False)
        if a.ended
    ]
    assert gaps[:5] == [10, 20, 40, 80, 160]
    assert max(gaps) <= 301  # capped at five minutes


def test_a_pod_ready_only_until_its_dial_times_out_completes_the_rollout(
    scenario_cluster: Any,
) -> None:
    # No readiness probe: the buggy geo is Ready for the 10 s its dial takes, long enough for
    # the rollout to replace the old pod; then it panics and crash-loops alone.
    _running, kubectl = scenario_cluster("misconfig_app_hotel_res-1")
    pods = kubectl.json("get", "pods", "-l", "io.kompose.service=geo")["items"]
    assert [p["spec"]["containers"][0]["image"] for p in pods] == ["yinfangchen/geo:app3"]
    assert pods[0]["status"]["containerStatuses"][0]["restartCount"] >= 3
    replicas = sorted(
        rs["spec"]["replicas"]
        for rs in kubectl.json("get", "rs", "-l", "io.kompose.service=geo")["items"]
    )
    assert replicas == [0, 1]


def test_a_rollout_that_never_gets_ready_keeps_the_old_pod(scenario_cluster: Any) -> None:
    running, kubectl = scenario_cluster("noop_detection_hotel_reservation-1")
    kubectl.run(
        "patch",
        "deploy",
        "geo",
        "--type",
        "json",
        "-p",
        json.dumps(
            [
                {
                    "op": "replace",
                    "path": "/spec/template/spec/containers/0/command",
                    "value": ["geo-server"],
                }
            ]
        ),
        writer=True,
    )
    running.cluster.advance(120)
    pods = kubectl.json("get", "pods", "-l", "io.kompose.service=geo")["items"]
    by_command = {p["spec"]["containers"][0]["command"][0]: p for p in pods}
    assert by_command["geo"]["status"]["containerStatuses"][0]["ready"]
    broken = by_command["geo-server"]["status"]["containerStatuses"][0]
    assert broken["lastState"]["terminated"]["reason"] == "StartError"
    deployment = kubectl.json("get", "deploy", "geo")
    assert (deployment["status"]["updatedReplicas"], deployment["status"]["availableReplicas"]) == (
        1,
        1,
    )


def test_a_missing_image_backs_off_pulling(scenario_cluster: Any) -> None:
    running, kubectl = scenario_cluster("noop_detection_hotel_reservation-1")
    kubectl.run(
        "set",
        "image",
        "deploy/user",
        "hotel-reserv-user=yinfangchen/hotelreservation:v9-does-not-exist",
        writer=True,
    )
    running.cluster.advance(45)
    pod = next(
        p
        for p in kubectl.json("get", "pods", "-l", "io.kompose.service=user")["items"]
        if "v9" in p["spec"]["containers"][0]["image"]
    )
    waiting = pod["status"]["containerStatuses"][0]["state"]["waiting"]
    assert waiting["reason"] in ("ErrImagePull", "ImagePullBackOff")
    events = kubectl.out(
        "get", "events", "--field-selector", f"involvedObject.name={pod['metadata']['name']}"
    )
    assert "Failed to pull image" in events and "not found" in events
    old = [
        p
        for p in kubectl.json("get", "pods", "-l", "io.kompose.service=user")["items"]
        if "v9" not in p["spec"]["containers"][0]["image"]
    ]
    assert len(old) == 1  # the rollout stalls with the old pod still serving


def test_flagd_loads_flags_only_when_restarted(scenario_cluster: Any) -> None:
    running, kubectl = scenario_cluster("noop_detection_astronomy_shop-1")
    configmap = kubectl.json("get", "cm", "flagd-config")
    flags = json.loads(configmap["data"]["demo.flagd.json"])
    flags["flags"]["paymentFailure"]["defaultVariant"] = "100%"
    configmap["data"]["demo.flagd.json"] = json.dumps(flags)
    kubectl.run("replace", "-f", "-", writer=True, stdin=json.dumps(configmap))
    running.cluster.advance(60)
    assert "Invalid token" not in kubectl.out("logs", "deploy/payment", "--since=50s")
    kubectl.run("rollout", "restart", "deploy/flagd", writer=True)
    running.cluster.advance(90)
    assert "Invalid token" in kubectl.out("logs", "deploy/payment", "--since=60s")
    init = kubectl.out("logs", "deploy/flagd", "-c", "init-config")
    assert '"paymentFailure"' in init
