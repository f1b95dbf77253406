"""Strategic merge, JSON merge and JSON patch, as the API server applies them."""

from __future__ import annotations

import pytest

from sim.kube.patch import (
    JSON_PATCH,
    MERGE,
    STRATEGIC,
    PatchError,
    apply_patch,
    strategic_merge_patch,
)

DEPLOYMENT = {
    "metadata": {"name": "geo", "labels": {"app": "geo"}},
    "spec": {
        "replicas": 1,
        "template": {
            "spec": {
                "containers": [
                    {
                        "name": "geo",
                        "image": "geo:1",
                        "command": ["geo"],
                        "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                        "ports": [{"containerPort": 8083}],
                    },
                    {"name": "sidecar", "image": "envoy:1"},
                ]
            }
        },
    },
}


def containers(obj: dict) -> list[dict]:
    return obj["spec"]["template"]["spec"]["containers"]


def test_strategic_merge_updates_the_container_named_in_the_patch() -> None:
    patched = strategic_merge_patch(
        DEPLOYMENT,
        {"spec": {"template": {"spec": {"containers": [{"name": "geo", "image": "geo:2"}]}}}},
    )
    assert [c["image"] for c in containers(patched)] == ["geo:2", "envoy:1"]
    assert containers(patched)[0]["command"] == ["geo"]  # untouched fields stay
    assert containers(DEPLOYMENT)[0]["image"] == "geo:1"  # the original is not modified


def test_strategic_merge_merges_env_by_name_and_replaces_atomic_lists() -> None:
    patched = strategic_merge_patch(
        DEPLOYMENT,
        {
            "spec": {
                "template": {
                    "spec": {
                        "containers": [
                            {
                                "name": "geo",
                                "command": ["profile"],
                                "env": [{"name": "B", "value": "3"}, {"name": "C", "value": "4"}],
                            }
                        ]
                    }
                }
            }
        },
    )
    geo = containers(patched)[0]
    assert geo["command"] == ["profile"]
    # New elements come first, as the API server orders them.
    assert geo["env"] == [
        {"name": "C", "value": "4"},
        {"name": "A", "value": "1"},
        {"name": "B", "value": "3"},
    ]


def test_strategic_merge_directives() -> None:
    deleted = strategic_merge_patch(
        DEPLOYMENT,
        {"spec": {"template": {"spec": {"containers": [{"name": "sidecar", "$patch": "delete"}]}}}},
    )
    assert [c["name"] for c in containers(deleted)] == ["geo"]
    replaced = strategic_merge_patch(
        DEPLOYMENT, {"metadata": {"labels": {"$patch": "replace", "tier": "db"}}}
    )
    assert replaced["metadata"]["labels"] == {"tier": "db"}
    removed = strategic_merge_patch(DEPLOYMENT, {"metadata": {"labels": {"app": None}}})
    assert removed["metadata"]["labels"] == {}
    ordered = strategic_merge_patch(
        DEPLOYMENT,
        {
            "spec": {
                "template": {
                    "spec": {
                        "$setElementOrder/containers": [{"name": "sidecar"}, {"name": "geo"}],
                        "containers": [{"name": "geo", "image": "geo:3"}],
                    }
                }
            }
        },
    )
    assert [c["name"] for c in containers(ordered)] == ["sidecar", "geo"]


def test_service_ports_merge_on_port_and_container_ports_on_container_port() -> None:
    service = {"spec": {"ports": [{"name": "9090", "port": 9090, "targetPort": 9999}]}}
    patched = strategic_merge_patch(
        service, {"spec": {"ports": [{"port": 9090, "targetPort": 9090}]}}
    )
    assert patched["spec"]["ports"] == [{"name": "9090", "port": 9090, "targetPort": 9090}]
    with pytest.raises(PatchError, match="merge key"):
        strategic_merge_patch(service, {"spec": {"ports": [{"targetPort": 1}]}})


def test_merge_patch_replaces_lists_and_json_patch_follows_rfc6902() -> None:
    merged = apply_patch(
        DEPLOYMENT, {"spec": {"template": {"spec": {"containers": [{"name": "only"}]}}}}, MERGE
    )
    assert containers(merged) == [{"name": "only"}]
    patched = apply_patch(
        DEPLOYMENT,
        [
            {"op": "replace", "path": "/spec/replicas", "value": 0},
            {"op": "remove", "path": "/metadata/labels/app"},
        ],
        JSON_PATCH,
    )
    assert patched["spec"]["replicas"] == 0 and patched["metadata"]["labels"] == {}
    with pytest.raises(PatchError):
        apply_patch(DEPLOYMENT, [{"op": "test", "path": "/spec/replicas", "value": 5}], JSON_PATCH)
    with pytest.raises(PatchError):
        apply_patch(DEPLOYMENT, {"a": 1}, "application/xml")
    assert apply_patch(DEPLOYMENT, {}, STRATEGIC) == DEPLOYMENT
