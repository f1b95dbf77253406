"""Alerting rules over the emulated Prometheus, and what Alertmanager would send."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sim.telemetry.alertmanager import fingerprint, slack, slack_title
from sim.telemetry.alerts import expand, go_float_e
from tests.sim.telemetry.http import prom


def test_crash_loop_fires_after_the_fault_and_quiet_cluster_fires_nothing(
    scenario_cluster: Any, social_network: Any
) -> None:
    running, _ = scenario_cluster("revoke_auth_mongodb-1")
    alerts = prom(running, "/api/v1/alerts")["data"]["alerts"]
    crash = [a for a in alerts if a["labels"]["alertname"] == "KubePodCrashLooping"]
    assert [a["labels"]["container"] for a in crash] == ["hotel-reserv-geo"]
    assert crash[0]["state"] == "firing" and crash[0]["labels"]["severity"] == "warning"
    started = datetime.fromisoformat(crash[0]["activeAt"].replace("Z", "+00:00"))
    assert running.fault_time <= started.astimezone(UTC)
    assert "hotel-reserv-geo" in crash[0]["annotations"]["description"]
    rules = prom(running, "/api/v1/rules")["data"]["groups"]
    states = {r["name"]: r["state"] for g in rules for r in g["rules"]}
    assert states["KubePodCrashLooping"] == "firing" and states["CPUThrottlingHigh"] == "inactive"
    quiet, _ = social_network
    assert prom(quiet, "/api/v1/alerts")["data"]["alerts"] == []


def test_webhook_payload_and_default_slack_message(scenario_cluster: Any) -> None:
    running, _ = scenario_cluster("k8s_target_port-misconfig-1")
    payload = running.alert_payload()
    assert payload is not None
    assert payload["version"] == "4" and payload["status"] == "firing"
    assert payload["groupLabels"] == {
        "alertname": "ServiceHighErrorRate",
        "namespace": "test-social-network",
    }
    assert payload["groupKey"] == (
        '{}:{alertname="ServiceHighErrorRate",namespace="test-social-network"}'
    )
    alert = payload["alerts"][0]
    assert alert["labels"]["service"] == "nginx-web-server"
    assert alert["endsAt"] == "0001-01-01T00:00:00Z"
    assert alert["fingerprint"] == fingerprint(alert["labels"])
    assert alert["generatorURL"].startswith("http://prometheus.monitoring.svc:9090/graph?g0.expr=")
    message = slack(payload)["attachments"][0]
    assert message["title"] == (
        "[FIRING:1] ServiceHighErrorRate test-social-network (nginx-web-server critical)"
    )
    assert message["color"] == "danger" and message["text"] == ""
    assert message["fallback"].startswith(slack_title(payload) + " | http://")


def test_fingerprint_is_prometheus_label_signature() -> None:
    # The value prometheus/common's model/signature_test.go expects for these labels.
    labels = {"name": "garland, briggs", "fear": "love is not enough"}
    assert fingerprint(labels) == f"{5799056148416392346:016x}"
    assert fingerprint({}) == f"{14695981039346656037:016x}"


def test_templates_and_values() -> None:
    labels = {"pod": "geo-1", "namespace": "hotel"}
    text = "{{ $labels.namespace }}/{{ $labels.pod }}: {{ $value | humanizePercentage }}"
    assert expand(text, labels, 0.25) == "hotel/geo-1: 25%"
    assert expand("{{ $value | humanizeDuration }}", {}, 2.5) == "2.5s"
    assert go_float_e(1.0) == "1e+00" and go_float_e(0.25) == "2.5e-01"
