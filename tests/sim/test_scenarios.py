"""Every AIOpsLab family (the everyday catalogue is in test_everyday.py): the symptom
shows where an SRE would look, the right fix heals the app and passes the mitigation
scorer, a wrong fix does not."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from sim.scenario import bundled_scenarios
from tests.conftest import Kubectl
from tests.sim.fixes import Fix, apply, delete_pods, kubectl, mitigation_after, patch

Check = Callable[[Kubectl], None]


def pod_of(kubectl: Kubectl, label: str) -> dict[str, Any]:
    pods = kubectl.json("get", "pods", "-l", label)["items"]
    assert pods, f"no pod with {label}"
    return sorted(pods, key=lambda p: p["metadata"]["creationTimestamp"])[-1]


def logs(kubectl: Kubectl, target: str, *extra: str) -> str:
    return kubectl.out("logs", target, *extra)


def _target_port(service: str, caller: str, client: str) -> Check:
    def check(k: Kubectl) -> None:
        assert ":9999" in k.out("get", "endpoints", service)
        assert f"Failed to connect {client}" in logs(k, f"deploy/{caller}")
        assert "0/1" not in k.out("get", "pods")

    return check


def _crashloop(service: str, message: str) -> Check:
    def check(k: Kubectl) -> None:
        pod = pod_of(k, f"io.kompose.service={service}")
        status = pod["status"]["containerStatuses"][0]
        assert status["restartCount"] >= 2 and not status["ready"]
        assert message in logs(k, pod["metadata"]["name"], "--previous")

    return check


def _auth_miss(k: Kubectl) -> None:
    assert "requireTLS" in k.json("get", "cm", "url-shorten-mongodb")["data"]["mongod.conf"]
    text = logs(k, "deploy/url-shorten-service") + logs(k, "deploy/text-service")
    assert "No suitable servers found" in text or "Failed to connect url-shorten-client" in text


def _scale_zero(k: Kubectl) -> None:
    assert k.json("get", "deploy", "user-service")["spec"]["replicas"] == 0
    assert "<none>" in k.out("get", "endpoints", "user-service")
    assert "Failed to connect user-service-client" in logs(k, "deploy/compose-post-service")


def _unschedulable(k: Kubectl) -> None:
    pod = pod_of(k, "service=user-service")
    assert pod["status"]["phase"] == "Pending"
    described = k.out("describe", "pod", pod["metadata"]["name"])
    assert "FailedScheduling" in described
    assert "didn't match Pod's node affinity/selector" in described


def _misconfig_app(k: Kubectl) -> None:
    pod = pod_of(k, "io.kompose.service=geo")
    assert pod["spec"]["containers"][0]["image"] == "yinfangchen/geo:app3"
    assert "no reachable servers" in logs(k, pod["metadata"]["name"], "--previous")
    assert len(k.json("get", "rs", "-l", "io.kompose.service=geo")["items"]) == 2


def _redeploy(k: Kubectl) -> None:
    assert "Released" in k.out("get", "pv")
    assert k.out("get", "pvc").count("Pending") == 6
    assert "pod has unbound immediate PersistentVolumeClaims" in k.out(
        "describe", "pod", pod_of(k, "io.kompose.service=mongodb-geo")["metadata"]["name"]
    )


def _wrong_bin(k: Kubectl) -> None:
    assert "cmd/geo/main.go" in logs(k, "deploy/profile")
    assert "GetProfiles failed" in logs(k, "deploy/frontend")


def _container_kill(k: Kubectl) -> None:
    pod = pod_of(k, "io.kompose.service=geo")
    last = pod["status"]["containerStatuses"][0]["lastState"]["terminated"]
    assert last["exitCode"] == 137 and pod["status"]["containerStatuses"][0]["restartCount"] == 1
    assert "container-kill" in k.out("get", "podchaos")


def _pod_failure(k: Kubectl) -> None:
    pod = pod_of(k, "io.kompose.service=user")
    assert pod["spec"]["containers"][0]["image"] == "gcr.io/google-containers/pause:latest"
    assert "CheckUser failed" in logs(k, "deploy/frontend")


def _network(k: Kubectl) -> None:
    assert "DeadlineExceeded" in logs(k, "deploy/frontend")
    assert "0/1" not in k.out("get", "pods")


def _flag(component: str, text: str) -> Check:
    def check(k: Kubectl) -> None:
        assert text in logs(k, f"deploy/{component}", "--all-containers")

    return check


def _high_cpu(k: Kubectl) -> None:
    top = {
        line.split()[0].rsplit("-", 2)[0]: int(line.split()[1].rstrip("m"))
        for line in k.out("top", "pods").splitlines()[1:]
    }
    assert top["ad"] > 4 * max(v for name, v in top.items() if name != "ad")


def _healthy(k: Kubectl) -> None:
    for pod in k.json("get", "pods")["items"]:
        assert all(s["ready"] for s in pod["status"]["containerStatuses"])


SYMPTOMS: dict[str, Check] = {
    "k8s_target_port-misconfig-1": _target_port(
        "user-service", "compose-post-service", "user-service-client"
    ),
    "k8s_target_port-misconfig-2": _target_port(
        "text-service", "compose-post-service", "text-service-client"
    ),
    "k8s_target_port-misconfig-3": _target_port(
        "post-storage-service", "compose-post-service", "post-storage-client"
    ),
    "auth_miss_mongodb-1": _auth_miss,
    "scale_pod_zero_social_net-1": _scale_zero,
    "assign_to_non_existent_node_social_net-1": _unschedulable,
    "revoke_auth_mongodb-1": _crashloop("geo", "not authorized on geo-db"),
    "revoke_auth_mongodb-2": _crashloop("rate", "not authorized on rate-db"),
    "user_unregistered_mongodb-1": _crashloop("geo", "Authentication failed"),
    "user_unregistered_mongodb-2": _crashloop("rate", "Authentication failed"),
    "misconfig_app_hotel_res-1": _misconfig_app,
    "redeploy_without_PV-1": _redeploy,
    "wrong_bin_usage-1": _wrong_bin,
    "container_kill": _container_kill,
    "pod_failure_hotel_res-1": _pod_failure,
    "pod_kill_hotel_res-1": _pod_failure,
    "network_loss_hotel_res-1": _network,
    "network_delay_hotel_res-1": _network,
    "astronomy_shop_ad_service_failure-1": _flag("ad", "GetAds Failed"),
    "astronomy_shop_ad_service_high_cpu-1": _high_cpu,
    "astronomy_shop_ad_service_manual_gc-1": _flag("ad", "performing a manual gc"),
    "astronomy_shop_cart_service_failure-1": _flag("cart", "Wasn't able to connect to redis"),
    "astronomy_shop_image_slow_load-1": _flag("frontend-proxy", "10013"),
    "astronomy_shop_kafka_queue_problems-1": _flag("fraud-detection", "sleeping 1 second"),
    "astronomy_shop_loadgenerator_flood_homepage-1": _flag("load-generator", "flooding"),
    "astronomy_shop_payment_service_failure-1": _flag("checkout", "failed to charge card"),
    "astronomy_shop_payment_service_unreachable-1": _flag("checkout", "badAddress"),
    "astronomy_shop_product_catalog_service_failure-1": _flag(
        "product-catalog", "Feature Flag Enabled"
    ),
    "astronomy_shop_recommendation_service_cache_failure-1": _flag("recommendation", "cache miss"),
    "noop_detection_hotel_reservation-1": _healthy,
    "noop_detection_social_network-1": _healthy,
    "noop_detection_astronomy_shop-1": _healthy,
}


def aiopslab_scenarios() -> dict[str, Any]:
    return {k: v for k, v in bundled_scenarios().items() if "aiopslab" in v.tags}


def test_every_scenario_has_a_symptom_check() -> None:
    assert set(SYMPTOMS) == set(aiopslab_scenarios())


@pytest.mark.parametrize("scenario_id", sorted(SYMPTOMS))
def test_symptom_is_visible(scenario_cluster: Any, scenario_id: str) -> None:
    _, kubectl = scenario_cluster(scenario_id)
    SYMPTOMS[scenario_id](kubectl)


# -- fixes ------------------------------------------------------------------------------------


def _job(name: str, host: str, user: str, script: str) -> dict[str, Any]:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name},
        "spec": {
            "ttlSecondsAfterFinished": 0,
            "backoffLimit": 2,
            "template": {
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [
                        {
                            "name": "mongo",
                            "image": "mongo:4.4.6",
                            "command": [
                                "mongo",
                                f"{host}:27017/admin",
                                "-u",
                                user,
                                "-p",
                                user,
                                "--authenticationDatabase",
                                "admin",
                                "--eval",
                                script,
                            ],
                        }
                    ],
                }
            },
        },
    }


def _flag_off(k: Kubectl) -> None:
    configmap = k.json("get", "cm", "flagd-config")
    flags = json.loads(configmap["data"]["demo.flagd.json"])
    flags["flags"]["kafkaQueueProblems"]["defaultVariant"] = "off"
    configmap["data"]["demo.flagd.json"] = json.dumps(flags, indent=2)
    k.run("replace", "-f", "-", writer=True, stdin=json.dumps(configmap))
    k.run("rollout", "restart", "deploy/flagd", writer=True)


def _unbind_volumes(k: Kubectl) -> None:
    for pv in k.json("get", "pv")["items"]:
        if pv["status"]["phase"] == "Released":
            patch("pv", pv["metadata"]["name"], [{"op": "remove", "path": "/spec/claimRef"}])(k)


TARGET_PORT_FIX = [{"op": "replace", "path": "/spec/ports/0/targetPort", "value": 9090}]
GRANT = "db.grantRolesToUser('admin', [{role: 'readWrite', db: '%s'}]);"
RECREATE = (
    "db.createUser({user: 'admin', pwd: 'admin', roles: [{role: "
    "'userAdminAnyDatabase', db: 'admin'}]}); " + GRANT
)
FIXES: dict[str, tuple[Fix, Fix]] = {
    "k8s_target_port-misconfig-1": (
        patch("svc", "user-service", TARGET_PORT_FIX),
        kubectl("rollout", "restart", "deploy/user-service"),
    ),
    "k8s_target_port-misconfig-2": (
        patch("svc", "text-service", TARGET_PORT_FIX),
        delete_pods("service=text-service"),
    ),
    "k8s_target_port-misconfig-3": (
        patch("svc", "post-storage-service", TARGET_PORT_FIX),
        kubectl("rollout", "restart", "deploy/post-storage-service"),
    ),
    "auth_miss_mongodb-1": (
        lambda k: (
            patch(
                "cm",
                "url-shorten-mongodb",
                [
                    {
                        "op": "replace",
                        "path": "/data/mongod.conf",
                        "value": "net:\n  tls:\n    mode: disabled\n",
                    }
                ],
            )(k),
            k.run("rollout", "restart", "deploy/url-shorten-mongodb", writer=True),
        ),
        kubectl("rollout", "restart", "deploy/url-shorten-service"),
    ),
    "scale_pod_zero_social_net-1": (
        kubectl("scale", "deploy/user-service", "--replicas=1"),
        kubectl("scale", "deploy/user-service", "--replicas=2"),
    ),
    "assign_to_non_existent_node_social_net-1": (
        patch(
            "deploy", "user-service", [{"op": "remove", "path": "/spec/template/spec/nodeSelector"}]
        ),
        delete_pods("service=user-service"),
    ),
    "revoke_auth_mongodb-1": (
        apply(_job("grant", "mongodb-geo", "admin", GRANT % "geo-db")),
        kubectl("rollout", "restart", "deploy/geo"),
    ),
    "revoke_auth_mongodb-2": (
        apply(_job("grant", "mongodb-rate", "admin", GRANT % "rate-db")),
        kubectl("rollout", "restart", "deploy/rate"),
    ),
    "user_unregistered_mongodb-1": (
        apply(_job("recreate", "mongodb-geo", "root", RECREATE % "geo-db")),
        kubectl("rollout", "restart", "deploy/mongodb-geo"),
    ),
    "user_unregistered_mongodb-2": (
        apply(_job("recreate", "mongodb-rate", "root", RECREATE % "rate-db")),
        kubectl("rollout", "restart", "deploy/mongodb-rate"),
    ),
    "misconfig_app_hotel_res-1": (
        kubectl(
            "set", "image", "deploy/geo", "hotel-reserv-geo=yinfangchen/hotelreservation:latest"
        ),
        kubectl("rollout", "restart", "deploy/geo"),
    ),
    "redeploy_without_PV-1": (_unbind_volumes, delete_pods("io.kompose.service=mongodb-geo")),
    "wrong_bin_usage-1": (
        patch(
            "deploy",
            "profile",
            [
                {
                    "op": "replace",
                    "path": "/spec/template/spec/containers/0/command",
                    "value": ["profile"],
                }
            ],
        ),
        kubectl("rollout", "restart", "deploy/profile"),
    ),
    "astronomy_shop_kafka_queue_problems-1": (
        _flag_off,
        kubectl("rollout", "restart", "deploy/kafka"),
    ),
}


def test_every_mitigation_scenario_has_fixes() -> None:
    with_mitigation = {s.id for s in aiopslab_scenarios().values() if "mitigation" in s.tasks}
    assert set(FIXES) == with_mitigation


@pytest.mark.parametrize("scenario_id", sorted(FIXES))
def test_right_fix_heals(scenario_cluster: Any, scenario_id: str) -> None:
    running, k = scenario_cluster(scenario_id)
    unfixed = running.score("mitigation", None)
    assert not unfixed.verified, unfixed.detail
    score = mitigation_after(running, k, FIXES[scenario_id][0])
    assert score.success and score.verified, score.detail


@pytest.mark.parametrize("scenario_id", sorted(FIXES))
def test_wrong_fix_does_not(scenario_cluster: Any, scenario_id: str) -> None:
    running, k = scenario_cluster(scenario_id)
    score = mitigation_after(running, k, FIXES[scenario_id][1])
    assert not score.verified, score.detail


def test_chaos_recovers_when_the_experiment_is_deleted(scenario_cluster: Any) -> None:
    running, kubectl = scenario_cluster("pod_failure_hotel_res-1")
    kubectl.run("delete", "podchaos", "pod-failure-experiment", writer=True)
    running.cluster.advance(30)
    pod = pod_of(kubectl, "io.kompose.service=user")
    assert pod["spec"]["containers"][0]["image"] == "yinfangchen/hotelreservation:latest"
    running.cluster.advance(30)
    assert "CheckUser failed" not in kubectl.out("logs", "deploy/frontend", "--since=20s")
