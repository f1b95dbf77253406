"""Real kubectl against served scenarios: what an SRE types shows what a cluster would."""

from __future__ import annotations

import json
from typing import Any

import yaml


def test_get_in_every_output_format(scenario_cluster: Any) -> None:
    _running, kubectl = scenario_cluster("revoke_auth_mongodb-1")
    table = kubectl.out("get", "pods")
    header, *rows = table.splitlines()
    assert header.split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    geo = next(r for r in rows if r.startswith("geo-"))
    assert "0/1" in geo and ("CrashLoopBackOff" in geo or "Error" in geo)
    wide = kubectl.out("get", "pods", "-o", "wide")
    assert "kind-worker" in wide and "NOMINATED NODE" in wide
    every = kubectl.out("get", "pods", "-A")
    assert "kube-system" in every and "etcd-kind-control-plane" in every
    pods = kubectl.json("get", "pods", "-l", "io.kompose.service=geo")["items"]
    assert pods[0]["status"]["containerStatuses"][0]["lastState"]["terminated"]["exitCode"] == 1
    as_yaml = yaml.safe_load(kubectl.out("get", "deploy", "geo", "-o", "yaml"))
    assert as_yaml["spec"]["template"]["spec"]["containers"][0]["command"] == ["geo"]
    images = kubectl.out("get", "pods", "-o", "jsonpath={.items[*].spec.containers[*].image}")
    assert "mongo:4.4.6" in images.split()
    assert kubectl.out("get", "nodes").count("Ready") == 2
    assert "geo-pvc" in kubectl.out("get", "pvc") and "Bound" in kubectl.out("get", "pv")


def test_describe_logs_events_and_top(scenario_cluster: Any) -> None:
    _running, kubectl = scenario_cluster("revoke_auth_mongodb-1")
    pod = kubectl.json("get", "pods", "-l", "io.kompose.service=geo")["items"][0]
    name = pod["metadata"]["name"]
    described = kubectl.out("describe", "pod", name)
    assert "Controlled By:  ReplicaSet/geo-" in described
    assert "Back-off restarting failed container hotel-reserv-geo" in described
    assert "Last State:     Terminated" in described and "Exit Code:    1" in described
    logs = kubectl.out("logs", name, "--tail", "1")
    assert logs.count("\n") == 1 and "not authorized on geo-db" in logs
    previous = kubectl.out("logs", name, "--previous")
    assert "Reading config..." in previous and "not authorized on geo-db" in previous
    events = kubectl.out("get", "events", "--field-selector", f"involvedObject.name={name}")
    assert "BackOff" in events
    assert "ScalingReplicaSet" in kubectl.out("describe", "deployment", "geo")
    assert "Endpoints:" in kubectl.out("describe", "service", "mongodb-geo")
    assert "Allocated resources" in kubectl.out("describe", "node", "kind-worker")
    top = kubectl.out("top", "pods")
    assert "CPU(cores)" in top and "mongodb-geo-" in top
    assert "kind-worker" in kubectl.out("top", "nodes")


def test_writes_have_real_semantics(scenario_cluster: Any) -> None:
    running, kubectl = scenario_cluster("noop_detection_hotel_reservation-1")
    forbidden = kubectl.run("scale", "deploy/geo", "--replicas=2", check=False)
    assert forbidden.returncode != 0 and "Forbidden" in forbidden.stderr
    kubectl.out("scale", "deploy/geo", "--replicas=2", "--dry-run=server", writer=True)
    assert kubectl.json("get", "deploy", "geo")["spec"]["replicas"] == 1
    kubectl.out("scale", "deploy/geo", "--replicas=2", writer=True)
    running.cluster.advance(30)
    assert len(kubectl.json("get", "pods", "-l", "io.kompose.service=geo")["items"]) == 2
    kubectl.out(
        "patch",
        "deploy",
        "geo",
        "-p",
        json.dumps({"spec": {"template": {"metadata": {"labels": {"version": "v2"}}}}}),
        writer=True,
    )
    kubectl.out(
        "patch",
        "svc",
        "geo",
        "--type",
        "merge",
        "-p",
        '{"metadata":{"labels":{"team":"geo"}}}',
        writer=True,
    )
    kubectl.out(
        "patch",
        "deploy",
        "user",
        "--type",
        "json",
        "-p",
        '[{"op":"add","path":"/metadata/annotations/owner","value":"sre"}]',
        writer=True,
    )
    assert kubectl.json("get", "svc", "geo")["metadata"]["labels"]["team"] == "geo"
    before = kubectl.json("get", "rs", "-l", "io.kompose.service=user")["items"]
    kubectl.out("rollout", "restart", "deploy/user", writer=True)
    running.cluster.advance(60)
    after = kubectl.json("get", "rs", "-l", "io.kompose.service=user")["items"]
    assert len(after) == len(before) + 1
    assert "successfully rolled out" in kubectl.out("rollout", "status", "deploy/user")
    pod = kubectl.json("get", "pods", "-l", "io.kompose.service=user")["items"][0]
    kubectl.out("delete", "pod", pod["metadata"]["name"], writer=True)
    running.cluster.advance(10)
    pods = kubectl.json("get", "pods", "-l", "io.kompose.service=user")["items"]
    assert len(pods) == 1 and pods[0]["metadata"]["name"] != pod["metadata"]["name"]
    assert pods[0]["status"]["phase"] == "Running"


def test_apply_and_create_from_files(scenario_cluster: Any, tmp_path: Any) -> None:
    running, kubectl = scenario_cluster("noop_detection_hotel_reservation-1")
    manifest = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "notes", "namespace": running.namespace},
        "data": {"a": "1"},
    }
    path = tmp_path / "cm.yaml"
    path.write_text(yaml.safe_dump(manifest))
    assert "created" in kubectl.out("apply", "-f", str(path), writer=True)
    manifest["data"] = {"a": "2"}
    path.write_text(yaml.safe_dump(manifest))
    assert "configured" in kubectl.out("apply", "-f", str(path), writer=True)
    assert kubectl.json("get", "cm", "notes")["data"] == {"a": "2"}
    refused = kubectl.run(
        "create", "job", "x", "--image=busybox", "--", "true", writer=True, check=False
    )
    assert refused.returncode != 0 and "JSON only" in refused.stderr


def test_rollout_status_follows_a_watch(tmp_path: Any) -> None:
    from sim.scenario import find_scenario
    from sim.session import start_scenario
    from tests.conftest import Kubectl

    with start_scenario(
        find_scenario("noop_detection_hotel_reservation-1"),
        follow_wall=True,
        kubeconfig=tmp_path / "kubeconfig",
    ) as running:
        assert running.cluster.kubeconfig is not None
        kubectl = Kubectl(running.cluster.kubeconfig, tmp_path / "cache", running.namespace)
        kubectl.run("rollout", "restart", "deploy/geo", writer=True)
        status = kubectl.out("rollout", "status", "deploy/geo", "--timeout=60s")
        assert 'deployment "geo" successfully rolled out' in status
        assert "Waiting for deployment" in status  # it had to watch the rollout progress
