"""Reading many pods' logs with few kubectl processes: which pods a selector may read, how
the prefixed output is split back, and that each pod's lines are those a read of it alone
gets, through real kubectl against a served scenario."""

from __future__ import annotations

from typing import Any

from agents import log_reads
from agents.analyzers import Observations
from agents.rules import RulesAgent
from agents.tools.kubectl import Kubectl, _redact_streams, split_prefixed
from trainer.sim_target import target_for


def _pod(name: str, labels: dict[str, str], containers: int = 1, started: bool = True) -> Any:
    names = [f"c{i}" for i in range(containers)]
    state = {"running": {}} if started else {"waiting": {"reason": "ContainerCreating"}}
    return {
        "metadata": {"name": name, "labels": labels},
        "spec": {"initContainers": [{"name": "init"}], "containers": [{"name": n} for n in names]},
        "status": {
            "initContainerStatuses": [{"name": "init", "state": {"terminated": {}}}],
            "containerStatuses": [{"name": n, "state": state} for n in names],
        },
    }


def test_a_selector_names_only_wanted_pods_whose_containers_all_started() -> None:
    pods = [
        _pod("a-1", {"app": "a"}),
        _pod("b-1", {"app": "b"}),
        _pod("c-1", {"app": "c"}),
        _pod("c-2", {"app": "c"}, started=False),  # spoils app=c: its logs would fail
        _pod("d-1", {"app": "d"}),  # not wanted
        _pod("e-1", {}),  # no label to select it by
    ]
    reads, alone = log_reads.plan(pods, ["a-1", "b-1", "c-1", "c-2", "e-1"])
    assert reads == [log_reads.SelectorRead("app in (a,b)", ("a-1", "b-1"))]
    assert alone == ["c-1", "c-2", "e-1"]


def test_selector_reads_stay_inside_kubectls_request_burst() -> None:
    pods = [_pod(f"p-{i}", {"app": f"s{i}"}, containers=2) for i in range(7)]  # 3 streams each
    pods.append(_pod("big", {"app": "big"}, containers=9))  # more than one read may ask
    reads, alone = log_reads.plan(pods, [p["metadata"]["name"] for p in pods])
    assert [r.pods for r in reads] == [("p-0", "p-1"), ("p-2", "p-3"), ("p-4", "p-5")]
    assert all(3 * len(r.pods) <= log_reads.MAX_STREAMS for r in reads)
    assert alone == ["p-6", "big"]  # a read of one pod is no better than reading it alone


def test_prefixed_output_splits_back_into_each_pods_text_in_container_order() -> None:
    pods = {p["metadata"]["name"]: p for p in (_pod("a-1", {}, 2), _pod("b-1", {}))}
    read = log_reads.SelectorRead("app in (a,b)", ("a-1", "b-1"))
    out = (
        "[pod/b-1/c0] b says\n"
        "[pod/a-1/c1] second container\n"
        "[pod/a-1/init] init done\n"
        "[pod/a-1/c0] first\n"
        "[pod/a-1/c0] \n"
    )
    assert log_reads.pod_texts(out, read, pods) == {
        "a-1": "init done\nfirst\n\nsecond container\n",
        "b-1": "b says\n",
    }
    assert log_reads.pod_texts(out + "error: something failed\n", read, pods) is None
    assert log_reads.pod_texts(out + "[pod/x-1/c0] not asked for\n", read, pods) is None


def test_each_containers_lines_are_redacted_on_their_own() -> None:
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


def test_the_depth_step_reads_each_pods_lines_with_few_processes(scenario_cluster: Any) -> None:
    running, _ = scenario_cluster("revoke_auth_mongodb-1")
    agent = RulesAgent(target_for(running))
    obs = Observations(agent.namespace)
    agent._surface(obs, [])
    depth: list[Any] = []
    agent._depth(obs, depth)
    alone = Kubectl(target_for(running), "probe")
    read = 0
    for pod in obs.items("pods"):
        name, status = pod["metadata"]["name"], pod.get("status") or {}
        if status.get("phase") not in ("Running", "Failed"):
            continue
        read += 1
        one = alone.run(
            ["kubectl", "logs", name, "--tail=60", "--all-containers", "-n", agent.namespace]
        )
        text = one.raw
        if any(s.get("restartCount") for s in status.get("containerStatuses") or []):
            before = ["kubectl", "logs", name, "--previous", "--tail=60", "-n", agent.namespace]
            text = f"{text}\n{alone.run(before).raw}"
        # kubectl itself prints a pod's containers in no fixed order: compare the lines.
        assert sorted(obs.logs[name].split("\n")) == sorted(text.split("\n")), name
    assert list(obs.logs) == [
        p["metadata"]["name"]
        for p in obs.items("pods")
        if (p.get("status") or {}).get("phase") in ("Running", "Failed")
    ]
    processes = [c for c in depth if c.tool == "kubectl" and c.request[1] == "logs"]
    assert read > 10 and len(processes) * 3 < read
    assert all(c.ok and c.role == "probe" and c.decision == "allow" for c in processes)
