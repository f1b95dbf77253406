"""The emulated API server through the official kubernetes Python client and raw HTTPS."""

from __future__ import annotations

import base64
import json
import ssl
import urllib.error
import urllib.request
from typing import Any

import pytest
import yaml
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from sim.kube.kubeconfig import READER_CONTEXT, WRITER_CONTEXT


def api_client(kubeconfig: str, context: str) -> client.ApiClient:
    return config.new_client_from_config(config_file=kubeconfig, context=context)


@pytest.fixture
def writable(scenario_cluster: Any) -> Any:
    running, _ = scenario_cluster("k8s_target_port-misconfig-1")
    kubeconfig = str(running.cluster.kubeconfig)
    return (
        running,
        client.CoreV1Api(api_client(kubeconfig, WRITER_CONTEXT)),
        client.AppsV1Api(api_client(kubeconfig, WRITER_CONTEXT)),
        client.CoreV1Api(api_client(kubeconfig, READER_CONTEXT)),
    )


def test_reader_lists_but_cannot_write_or_read_secrets(social_network: Any) -> None:
    running, _ = social_network
    core = client.CoreV1Api(api_client(str(running.cluster.kubeconfig), READER_CONTEXT))
    pods = core.list_namespaced_pod(running.namespace, label_selector="app=user-service")
    assert [p.metadata.name.startswith("user-service-") for p in pods.items] == [True]
    assert pods.items[0].status.container_statuses[0].ready is True
    with pytest.raises(ApiException) as err:
        core.delete_namespaced_pod(pods.items[0].metadata.name, running.namespace)
    assert err.value.status == 403
    body = json.loads(err.value.body)
    assert body["reason"] == "Forbidden"
    assert (
        'User "system:serviceaccount:aoi:aoi-probe" cannot delete resource "pods"'
        in body["message"]
    )
    with pytest.raises(ApiException) as err:
        core.list_namespaced_secret(running.namespace)
    assert err.value.status == 403


def raw_get(running: Any, path: str, token: str | None = None, accept: str = "") -> Any:
    """GET over HTTPS, verifying the server against the CA in the cluster's kubeconfig."""
    kubeconfig = yaml.safe_load(running.cluster.kubeconfig.read_text())
    ca = kubeconfig["clusters"][0]["cluster"]["certificate-authority-data"]
    context = ssl.create_default_context(cadata=base64.b64decode(ca).decode())
    headers = {"Authorization": f"Bearer {token or running.cluster.identities.reader_token}"}
    if accept:
        headers["Accept"] = accept
    request = urllib.request.Request(f"{running.cluster.url}{path}", headers=headers)
    with urllib.request.urlopen(request, context=context) as response:
        return json.loads(response.read())


def test_bad_token_is_401_and_unknown_paths_404(social_network: Any) -> None:
    running, _ = social_network
    with pytest.raises(urllib.error.HTTPError) as err:
        raw_get(running, "/api/v1/pods", token="wrong")
    assert err.value.code == 401
    assert json.loads(err.value.read())["reason"] == "Unauthorized"
    with pytest.raises(urllib.error.HTTPError) as err:
        raw_get(running, "/api/v1/widgets")
    assert err.value.code == 404


def test_status_errors_have_the_real_shape(writable: Any) -> None:
    running, core, apps, _ = writable
    ns = running.namespace
    with pytest.raises(ApiException) as err:
        core.read_namespaced_pod("nope", ns)
    assert (err.value.status, json.loads(err.value.body)["message"]) == (
        404,
        'pods "nope" not found',
    )
    with pytest.raises(ApiException) as err:
        core.create_namespaced_config_map(ns, {"metadata": {"name": "user-service"}})
    assert err.value.status == 409
    assert json.loads(err.value.body)["reason"] == "AlreadyExists"
    with pytest.raises(ApiException) as err:
        apps.patch_namespaced_deployment_scale("user-service", ns, {"spec": {"replicas": -1}})
    body = json.loads(err.value.body)
    assert err.value.status == 422 and body["reason"] == "Invalid"
    assert body["details"]["causes"][0]["field"] == "spec.replicas"
    deployment = apps.read_namespaced_deployment("user-service", ns)
    stale = deployment.metadata.resource_version
    apps.patch_namespaced_deployment(
        "user-service", ns, {"metadata": {"labels": {"touched": "yes"}}}
    )
    deployment.metadata.resource_version = stale
    with pytest.raises(ApiException) as err:
        apps.replace_namespaced_deployment("user-service", ns, deployment)
    assert err.value.status == 409 and json.loads(err.value.body)["reason"] == "Conflict"


def test_dry_run_changes_nothing_and_writes_take_effect(writable: Any) -> None:
    running, core, apps, _ = writable
    ns = running.namespace
    patch = [{"op": "replace", "path": "/spec/ports/0/targetPort", "value": 9090}]
    dry = core.patch_namespaced_service("user-service", ns, patch, dry_run="All")
    assert dry.spec.ports[0].target_port == 9090
    assert core.read_namespaced_service("user-service", ns).spec.ports[0].target_port == 9999
    apps.patch_namespaced_deployment_scale(
        "user-service", ns, {"spec": {"replicas": 2}}, dry_run="All"
    )
    assert apps.read_namespaced_deployment("user-service", ns).spec.replicas == 1
    before = {p.metadata.name for p in core.list_namespaced_pod(ns).items}
    core.delete_namespaced_pod(sorted(before)[0], ns, dry_run="All")
    assert {p.metadata.name for p in core.list_namespaced_pod(ns).items} == before
    core.patch_namespaced_service("user-service", ns, patch)
    endpoints = core.read_namespaced_endpoints("user-service", ns)
    assert endpoints.subsets[0].ports[0].port == 9090


def test_scale_subresource_and_controllers(writable: Any) -> None:
    running, core, apps, _ = writable
    ns = running.namespace
    scale = apps.patch_namespaced_deployment_scale("text-service", ns, {"spec": {"replicas": 3}})
    assert scale.spec.replicas == 3 and scale.status.selector == "service=text-service"
    running.cluster.advance(30)
    deployment = apps.read_namespaced_deployment("text-service", ns)
    assert (deployment.status.ready_replicas, deployment.status.available_replicas) == (3, 3)
    pods = core.list_namespaced_pod(ns, label_selector="service=text-service").items
    assert len(pods) == 3 and all(p.status.phase == "Running" for p in pods)


def test_discovery_and_table(social_network: Any) -> None:
    running, _ = social_network
    kubeconfig = str(running.cluster.kubeconfig)
    api = api_client(kubeconfig, READER_CONTEXT)
    groups = {g.name for g in client.ApisApi(api).get_api_versions().groups}
    assert {"apps", "batch", "metrics.k8s.io", "chaos-mesh.org"} <= groups
    table = raw_get(
        running,
        f"/api/v1/namespaces/{running.namespace}/pods",
        accept="application/json;as=Table;v=v1;g=meta.k8s.io",
    )
    assert table["kind"] == "Table"
    assert [c["name"] for c in table["columnDefinitions"]][:5] == [
        "Name",
        "Ready",
        "Status",
        "Restarts",
        "Age",
    ]
    assert all(len(r["cells"]) == 9 for r in table["rows"])
