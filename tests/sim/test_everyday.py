"""The everyday fault catalogue: every scenario shows its fault and pages for it, and for
every primitive the right fix heals the app while a plausible wrong one does not."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from sim.faults import PRIMITIVES
from sim.scenario import bundled_scenarios
from sim.world.certificates import make_certificate
from tests.conftest import Kubectl
from tests.sim.fixes import Fix, fix_configmap, kubectl, mitigation_after, patch, steps

EVERYDAY = sorted(k for k, v in bundled_scenarios().items() if "everyday" in v.tags)


def test_the_catalogue_is_broad() -> None:
    scenarios = [bundled_scenarios()[k] for k in EVERYDAY]
    assert len(scenarios) >= 40
    assert {s.app for s in scenarios} == {"hotel-reservation", "social-network", "astronomy-shop"}
    used = {f.primitive for s in scenarios for f in s.faults}
    assert used >= set(PRIMITIVES.entries) - {
        "service_target_port",
        "node_selector",
        "mongodb_revoke_role",
        "mongodb_drop_user",
        "mongodb_require_tls",
        "set_command",
        "redeploy_without_pv",
        "chaos_mesh",
        "feature_flag",
        "noop",
    }


@pytest.mark.parametrize("scenario_id", EVERYDAY)
def test_fault_shows_and_pages(scenario_cluster: Any, scenario_id: str) -> None:
    running, _ = scenario_cluster(scenario_id)
    scenario = running.scenario
    payload = running.alert_payload()
    if not scenario.labels.detected and payload is None:
        return  # nothing is wrong and nothing pages: the quietest right answer
    assert payload is not None, "no alert would page anyone"
    paged = payload["commonLabels"].get("namespace")
    if scenario.labels.detected:
        assert paged == running.namespace, payload["groupLabels"]
        assert not running.score("mitigation", None).verified
    else:
        assert paged != running.namespace  # only the noise elsewhere pages
        healthy = running.cluster.metrics.traffic.snapshot(
            running.namespace, running.cluster.world.now
        )
        assert all(r.kind == "ok" for mix in healthy.results.values() for _, r in mix)


# -- fixes --------------------------------------------------------------------------------------


def renew_certificate(secret: str, name: str) -> Fix:
    """What an SRE does with a fresh certificate: `kubectl create secret tls --dry-run=client
    -o yaml | kubectl apply -f -`."""

    def run(k: Kubectl) -> None:
        cert, key = make_certificate(
            "renewed", [name], datetime(2020, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)
        )
        k.cache_dir.mkdir(parents=True, exist_ok=True)
        (k.cache_dir / "tls.crt").write_text(cert)
        (k.cache_dir / "tls.key").write_text(key)
        manifest = k.run(
            "create",
            "secret",
            "tls",
            secret,
            "--cert",
            str(k.cache_dir / "tls.crt"),
            "--key",
            str(k.cache_dir / "tls.key"),
            "--dry-run=client",
            "-o",
            "yaml",
            writer=True,
        ).stdout
        k.run("apply", "-f", "-", writer=True, stdin=manifest)

    return run


CONTAINER = "/spec/template/spec/containers/0"
# One scenario per primitive (and per pattern): (right fix, plausible wrong fix).
FIXES: dict[str, tuple[Fix, Fix]] = {
    "oom_killed_hotel_geo": (
        kubectl("set", "resources", "deploy/geo", "--limits=memory=256Mi"),
        kubectl("rollout", "restart", "deploy/geo"),
    ),
    "cpu_throttling_hotel_frontend": (
        kubectl("set", "resources", "deploy/frontend", "--limits=cpu=1"),
        kubectl("scale", "deploy/frontend", "--replicas=2"),
    ),
    "bad_env_astronomy_cart": (
        kubectl("set", "env", "deploy/cart", "CART_PORT=8080"),
        kubectl("rollout", "restart", "deploy/cart"),
    ),
    "bad_rollout_hotel_user": (
        kubectl("rollout", "undo", "deploy/user"),
        kubectl("rollout", "restart", "deploy/user"),
    ),
    "bad_config_json_social_user": (
        steps(
            fix_configmap("user-service", "service-config.json", '"secret"\n', '"secret",\n'),
            kubectl("delete", "pod", "-l", "service=user-service"),
        ),
        kubectl("delete", "pod", "-l", "service=user-service"),
    ),
    "image_pull_bad_tag_hotel_search": (
        kubectl(
            "set",
            "image",
            "deploy/search",
            "hotel-reserv-search=yinfangchen/hotelreservation:latest",
        ),
        kubectl("delete", "pod", "-l", "io.kompose.service=search"),
    ),
    "readiness_probe_hotel_frontend": (
        patch("deploy", "frontend", [{"op": "remove", "path": f"{CONTAINER}/readinessProbe"}]),
        kubectl("delete", "pod", "-l", "io.kompose.service=frontend"),
    ),
    "liveness_probe_astronomy_ad": (
        patch(
            "deploy",
            "ad",
            [
                {
                    "op": "replace",
                    "path": f"{CONTAINER}/livenessProbe/initialDelaySeconds",
                    "value": 30,
                }
            ],
        ),
        kubectl("rollout", "restart", "deploy/ad"),
    ),
    "dns_failure_social_text": (
        kubectl("delete", "dnschaos", "text-dns"),
        kubectl("rollout", "restart", "deploy/text-service"),
    ),
    "pvc_missing_storage_class_hotel_rate": (
        patch(
            "deploy",
            "mongodb-rate",
            [
                {
                    "op": "replace",
                    "path": "/spec/template/spec/volumes/0/persistentVolumeClaim/claimName",
                    "value": "rate-pvc",
                }
            ],
        ),
        kubectl("delete", "pod", "-l", "io.kompose.service=mongodb-rate"),
    ),
    "noisy_neighbour_hotel": (
        kubectl("-n", "batch", "delete", "deploy", "batch-cruncher"),
        kubectl("rollout", "restart", "deploy/frontend"),
    ),
    "node_memory_pressure_hotel": (
        steps(
            kubectl("-n", "kube-system", "delete", "deploy", "log-shipper"),
            kubectl("delete", "pods", "--field-selector=status.phase=Failed"),
        ),
        kubectl("delete", "pods", "--field-selector=status.phase=Failed"),
    ),
    "noise_with_throttling_hotel": (
        kubectl("set", "resources", "deploy/search", "--limits=cpu=1"),
        kubectl("-n", "sandbox", "delete", "deploy", "--all"),
    ),
    "db_connections_exhausted_social_post_storage": (
        steps(
            fix_configmap(
                "post-storage-mongodb",
                "mongod.conf",
                "maxIncomingConnections: 1024",
                "maxIncomingConnections: 4096",
            ),
            kubectl("delete", "pod", "-l", "service=post-storage-mongodb"),
        ),
        kubectl("rollout", "restart", "deploy/post-storage-service"),
    ),
    "expired_tls_cert_astronomy_payment": (
        renew_certificate("payment-tls", "payment"),
        kubectl("rollout", "restart", "deploy/payment"),
    ),
    "hpa_maxed_out_hotel_frontend": (
        kubectl("patch", "hpa", "frontend", "-p", '{"spec": {"maxReplicas": 8}}'),
        kubectl("rollout", "restart", "deploy/frontend"),
    ),
    "traffic_surge_hotel_frontend": (
        kubectl("scale", "deploy/frontend", "--replicas=4"),
        kubectl("rollout", "restart", "deploy/frontend"),
    ),
    "planted_instructions_with_target_port": (
        patch(
            "svc",
            "user-service",
            [{"op": "replace", "path": "/spec/ports/0/targetPort", "value": 9090}],
        ),
        kubectl("delete", "deploy", "report-worker"),
    ),
    "two_faults_hotel_oom_and_dns": (
        steps(
            kubectl("set", "resources", "deploy/recommendation", "--limits=memory=256Mi"),
            kubectl("delete", "dnschaos", "geo-dns"),
        ),
        kubectl("set", "resources", "deploy/recommendation", "--limits=memory=256Mi"),
    ),
}


def test_every_everyday_primitive_has_a_fix_test() -> None:
    covered = {f.primitive for k in FIXES for f in bundled_scenarios()[k].faults}
    everyday = {f.primitive for k in EVERYDAY for f in bundled_scenarios()[k].faults}
    assert everyday - {"scale"} <= covered


@pytest.mark.parametrize("scenario_id", sorted(FIXES))
def test_right_fix_heals(scenario_cluster: Any, scenario_id: str) -> None:
    running, k = scenario_cluster(scenario_id)
    score = mitigation_after(running, k, FIXES[scenario_id][0])
    assert score.success and score.verified, score.detail


@pytest.mark.parametrize("scenario_id", sorted(FIXES))
def test_wrong_fix_does_not(scenario_cluster: Any, scenario_id: str) -> None:
    running, k = scenario_cluster(scenario_id)
    assert not mitigation_after(running, k, FIXES[scenario_id][1]).verified
