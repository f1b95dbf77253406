"""Servers that turn connections away although they run: a database at its connection
limit gets a higher one (and a restart to read it), and a TLS server whose certificate
expired is blamed, not the callers whose handshakes fail."""

from __future__ import annotations

from typing import Any

import pytest

from agents.rules import RulesAgent
from tests.agents.analyzers.approved_fixes import apply_and_judge, judged
from trainer.sim_target import target_for


def test_a_database_at_its_connection_limit_gets_room(scenario_cluster: Any) -> None:
    running, kubectl = scenario_cluster("db_connections_exhausted_social_user_timeline")
    found = RulesAgent(target_for(running)).investigate().finding
    assert found.faulty_components == ["user-timeline-mongodb"]
    assert (found.system_level, found.fault_type) == ("Application", "Dependency Problem")
    assert judged(running, found, "analysis")
    score = apply_and_judge(running, found)
    assert score.success and score.verified, score.detail
    conf = kubectl.json("get", "configmap", "user-timeline-mongodb")["data"]["mongod.conf"]
    assert "maxIncomingConnections: 4000\n" in conf and "mode: disabled" in conf


@pytest.mark.parametrize(
    ("scenario", "server", "secret"),
    [
        ("expired_tls_cert_astronomy_payment", "payment", "payment-tls"),
        ("expired_tls_cert_social_user", "user-service", "user-service-tls"),
    ],
)
def test_an_expired_certificate_blames_its_server(
    scenario_cluster: Any, scenario: str, server: str, secret: str
) -> None:
    running, _ = scenario_cluster(scenario)
    found = RulesAgent(target_for(running)).investigate().finding
    assert found.faulty_components == [server]
    assert judged(running, found, "localization") and judged(running, found, "analysis")
    assert secret in found.root_cause
    # Renewing a Secret is for a person: agents never touch Secrets.
    assert not found.proposed_actions
