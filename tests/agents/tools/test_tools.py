"""The Probe's tools against a served emulated cluster, through its kubeconfig and URLs only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agents.target import ClusterTarget
from agents.tools.kubectl import Kubectl, _redact_streams, split_prefixed
from agents.tools.metrics import NAMED, Metrics
from agents.tools.record import cap
from agents.tools.traces import Traces
from sim.scenario import find_scenario
from sim.session import start_scenario
from tests.conftest import PRESENT
from trainer.sim_target import target_for


def test_kubectl_runs_reads_and_refuses_the_rest(scenario_cluster: Any) -> None:
    running, _ = scenario_cluster("k8s_target_port-misconfig-1")
    probe = Kubectl(target_for(running), "probe")
    read = probe.run(["kubectl", "get", "endpoints", "user-service", "-n", running.namespace])
    assert read.ok and ":9999" in read.output
    write = probe.run(["kubectl", "delete", "pod", "x", "-n", running.namespace])
    assert write.decision == "deny" and not write.ran
    executor = Kubectl(target_for(running), "executor")
    fix = [
        "kubectl", "patch", "svc", "user-service", "-n", running.namespace, "--type", "json",
        "-p", '[{"op":"replace","path":"/spec/ports/0/targetPort","value":9090}]',
    ]  # fmt: skip
    pending = executor.run(fix)
    assert pending.decision == "needs_approval" and not pending.ran  # no approval, no write
    dry = executor.run([*fix, "--dry-run=server"])
    assert dry.ok and "patched" in dry.output  # the writer identity, dry run only
    assert len(probe.calls) == 2 and len(executor.calls) == 2


def test_the_probe_identity_cannot_write_even_if_policy_were_wrong(social_network: Any) -> None:
    running, _ = social_network
    target = target_for(running)
    probe = Kubectl(target, "probe")
    # Simulate a policy slip: bypass classification and run a write as the Probe's identity.
    call = probe.run(["kubectl", "get", "pods", "-n", running.namespace])
    probe._execute(call, ["kubectl", "scale", "deploy/user-service", "--replicas=2",
                          "-n", running.namespace])  # fmt: skip
    assert call.exit_code != 0 and "forbidden" in call.output


def test_output_is_redacted_and_capped() -> None:
    text, cut = cap("x" * 30_000, 1_000)
    assert cut == 29_000 and "29000 characters cut" in text and len(text) < 1_200
    assert cap("short", 100) == ("short", 0)


def test_prefixed_logs_of_several_containers_are_redacted_each_on_its_own() -> None:
    # `kubectl logs -l SELECTOR --prefix` interleaves containers: a secret spanning lines is
    # found within its own container's lines, and no neighbour's line is taken into a mask.
    text = (
        "[pod/a/c] starting\n"
        "[pod/a/c] -----BEGIN PRIVATE KEY-----\n"
        "[pod/b/c] password=hunter22\n"
        "[pod/a/c] MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n"
        "[pod/a/c] -----END PRIVATE KEY-----\n"
        "[pod/a/c] done\n"
    )
    cleaned, count = _redact_streams(text, None)
    streams = split_prefixed(cleaned)
    assert streams[("a", "c")] == ["starting", "[REDACTED:private_key]", "done"]
    assert streams[("b", "c")] == ["password=[REDACTED:credential]"]
    assert count == 2 and "MIIE" not in cleaned


def test_named_metrics_and_raw_promql(scenario_cluster: Any) -> None:
    running, _ = scenario_cluster("cpu_throttling_hotel_frontend")
    metrics = Metrics(running.cluster.prometheus_url)
    for name in NAMED:
        assert metrics.named(name, running.namespace).ok, name
    throttled = metrics.named("throttling", running.namespace).output.splitlines()[0]
    assert "container=hotel-reserv-frontend" in throttled  # the largest first
    bad = metrics.promql("sum(rate(x[5m]")
    assert bad.exit_code == 1 and "refused" in bad.output
    assert metrics.named("disk", running.namespace).decision == "deny"


def test_trace_summary_names_the_failing_edge(scenario_cluster: Any) -> None:
    running, _ = scenario_cluster("k8s_target_port-misconfig-1")
    summary = Traces(running.cluster.jaeger_url).service("compose-post-service").output
    assert "failing edges" in summary
    assert "compose-post-service -> user-service" in summary
    assert "connection refused" in summary


def test_target_from_the_serve_line(tmp_path: Any) -> None:
    line = '{"kubeconfig": "/k", "prometheus_url": "http://p", "jaeger_url": "http://j"}'
    target = ClusterTarget.from_serve_json(line, "ns")
    assert target.context_for("probe") is None and target.context_for("executor") == "sim-writer"


def test_kubectl_caches_an_emulated_cluster_beside_it_and_the_cache_goes_with_it() -> None:
    # Each emulated cluster has a port of its own: a discovery cache in ~/.kube/cache for
    # each would pile up there for ever.
    default = Path.home() / ".kube" / "cache" / "discovery"
    with start_scenario(
        find_scenario("noop_detection_hotel_reservation-1"), present=PRESENT
    ) as run:
        target = target_for(run)
        assert run.cluster.url is not None and target.kubectl_cache is not None
        port = run.cluster.url.rsplit(":", 1)[1]
        call = Kubectl(target, "probe").run(["kubectl", "get", "pods", "-n", run.namespace])
        assert call.ok
        assert any(target.kubectl_cache.glob(f"discovery/*{port}*"))
        assert not any(default.glob(f"*_{port}"))
    assert not target.kubectl_cache.exists()
