"""The first look's reads through the Kubernetes API client: each prints what the kubectl
command it records prints, against a served scenario, failures included; the policy and the
read-only identity bound it as they bound kubectl; each container's text is redacted alone."""

from __future__ import annotations

import json
from typing import Any

import pytest

from agents.tools import kube_api
from agents.tools.kube_api import KubeApi, ReadFailed, Resource, containers
from agents.tools.kubectl import Kubectl
from trainer.sim_target import target_for


def _lines(text: str) -> list[str]:
    # kubectl prints a pod's containers in no fixed order; the lines are what must agree.
    return sorted(text.split("\n"))


def test_each_read_prints_what_its_kubectl_command_prints(scenario_cluster: Any) -> None:
    running, _ = scenario_cluster("revoke_auth_mongodb-1")
    target, ns = target_for(running), running.namespace
    kubectl = Kubectl(target, "probe")
    api = KubeApi(kubectl)
    listed = api.get(["pods", "deployments", "services", "endpoints", "configmaps"], ns)
    typed = kubectl.run(listed.request)
    assert listed.ok and listed.transport == "api" and typed.transport == "process"
    assert listed.request == ["kubectl", "get", "pods,deployments,services,endpoints,configmaps",
                              "-o", "json", "-n", ns]  # fmt: skip
    assert json.loads(listed.raw)["items"] == json.loads(typed.raw)["items"]
    pods = [item for item in json.loads(listed.raw)["items"] if item["kind"] == "Pod"]
    read = restarted = 0
    for pod in pods:
        if pod["status"]["phase"] != "Running":
            continue
        logs = api.logs(pod, ns)
        assert logs.ok and _lines(logs.raw) == _lines(kubectl.run(logs.request).raw), logs.request
        read += 1
        for status in pod["status"]["containerStatuses"]:
            if status.get("restartCount"):
                before = api.previous_logs(pod["metadata"]["name"], status["name"], ns)
                again = kubectl.run(before.request)
                assert before.ok and before.raw == again.raw and before.raw.strip()
                restarted += 1
    assert read > 10 and restarted >= 2
    api.close()


def test_a_failed_read_says_what_kubectl_says(
    scenario_cluster: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A kind the client knows how to address but this cluster does not serve (Chaos Mesh
    # not installed, say): the server's 404 becomes kubectl's message.
    unserved = Resource("chaos-mesh.org/v1alpha1", "nosuchchaos")
    monkeypatch.setitem(kube_api.RESOURCES, "nosuchchaos", unserved)
    running, _ = scenario_cluster("image_pull_bad_tag_hotel_search")
    target, ns = target_for(running), running.namespace
    kubectl = Kubectl(target, "probe")
    api = KubeApi(kubectl)
    pods = json.loads(api.get(["pods"], ns).raw)["items"]
    waiting = next(p for p in pods if p["status"]["phase"] == "Pending")
    never = containers(waiting)[0]
    missing = {"metadata": {"name": "no-such-pod"}, "spec": {"containers": [{"name": "c"}]}}
    for call in (
        api.get(["pods", "nosuchchaos"], ns),  # a kind this cluster does not serve
        api.logs(waiting, ns),  # a container waiting to start has no lines yet
        api.previous_logs(waiting["metadata"]["name"], never, ns),  # nor a previous run
        api.logs(missing, ns),
    ):
        typed = kubectl.run(call.request)
        assert call.ran and call.exit_code == typed.exit_code == 1, call.request
        assert call.raw == typed.raw, call.request


def test_the_policy_decides_before_anything_is_read(social_network: Any) -> None:
    running, _ = social_network
    api = KubeApi(Kubectl(target_for(running), "probe"))
    secrets = api.get(["pods", "secrets"], running.namespace)
    assert secrets.decision == "deny" and not secrets.ran and secrets.raw == ""
    assert api._client is None  # refused before a connection was made
    unmapped = api.get(["pods", "leases"], running.namespace)  # allowed, but not in RESOURCES
    assert unmapped.exit_code == 1 and 'no API path is known here for "leases"' in unmapped.raw


def test_the_client_is_the_read_only_identity(social_network: Any) -> None:
    running, _ = social_network
    api = KubeApi(Kubectl(target_for(running), "probe"))
    client = api._connect()
    # Were a write to slip past the policy, the cluster itself refuses this identity.
    method, url, headers, body, post = client.param_serialize(
        "DELETE", f"/api/v1/namespaces/{running.namespace}/services/user-service",
        auth_settings=["BearerToken"],
    )  # fmt: skip
    assert client.call_api(method, url, headers, body, post, 10).status == 403
    assert api.get(["services"], running.namespace).ok  # it is still there
    api.close()


def test_an_unreachable_cluster_is_a_failed_read_not_an_exception(scenario_cluster: Any) -> None:
    running, _ = scenario_cluster("noop_detection_hotel_reservation-1")
    api = KubeApi(Kubectl(target_for(running), "probe", timeout=5))
    running.stop()
    call = api.get(["pods"], running.namespace)
    assert call.ran and call.exit_code == 1
    assert call.raw.startswith("error: cannot reach the API server")


class _Canned(KubeApi):
    """Answers from text instead of a cluster, to check what is done with the text."""

    def __init__(self, bodies: dict[str, bytes]) -> None:
        super().__init__(Kubectl(target=None, role="probe"))  # type: ignore[arg-type]
        self.bodies = bodies

    def _request(self, path: str, query: list[tuple[str, str]]) -> bytes:
        key = dict(query).get("container") or path
        if key not in self.bodies:
            raise ReadFailed(f"Error from server (BadRequest): no {key}\n")
        return self.bodies[key]


def test_each_containers_lines_are_redacted_on_their_own() -> None:
    api = _Canned(
        {
            "app": (
                b"starting\n-----BEGIN PRIVATE KEY-----\n"
                b"MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n"
                b"-----END PRIVATE KEY-----\ndone\n"
            ),
            "sidecar": b"password=hunter22\n",
        }
    )
    pod = {
        "metadata": {"name": "a"},
        "spec": {"containers": [{"name": "app"}, {"name": "sidecar"}]},
    }
    call = api.logs(pod, "ns")
    assert call.ok and call.redacted == 2 and "MIIE" not in call.raw and "hunter22" not in call.raw
    assert call.raw.splitlines() == [
        "starting", "[REDACTED:private_key]", "done", "password=[REDACTED:credential]",
    ]  # fmt: skip
    # The first container that cannot be read ends the read, after the lines before it.
    pod["spec"]["containers"].insert(1, {"name": "gone"})
    partial = api.logs(pod, "ns")
    assert partial.exit_code == 1 and partial.raw.endswith(
        "Error from server (BadRequest): no gone\n"
    )
    assert "done" in partial.raw and "password" not in partial.raw


def test_a_kubeconfig_the_client_cannot_use_is_read_through_kubectl(
    social_network: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import kubernetes.config
    from kubernetes.config.config_exception import ConfigException

    def unusable(**_: Any) -> None:  # as for an auth plugin this client does not know
        raise ConfigException("unknown auth provider")

    monkeypatch.setattr(kubernetes.config, "load_kube_config", unusable)
    running, _ = social_network
    api = KubeApi(Kubectl(target_for(running), "probe"))
    pods = api.get(["pods"], running.namespace)
    assert pods.ok and pods.transport == "process" and json.loads(pods.raw)["items"]
    assert api.get(["secrets"], running.namespace).decision == "deny"  # policy still first
    assert api.logs(json.loads(pods.raw)["items"][0], running.namespace).transport == "process"
