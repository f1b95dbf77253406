"""The applications the emulated cloud deploys (HotelReservation, SocialNetwork,
AstronomyShop), as data: one YAML file each, rendered into the manifests their real charts and
kompose files produce, plus the image catalog saying what software runs in each image."""

from __future__ import annotations

import copy
from functools import cache
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from sim.kube.patch import json_merge_patch
from sim.world.software.catalog import ImageEntry

Obj = dict[str, Any]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ImageSpec(_Strict):
    name: str
    software: str
    config: dict[str, Any] = Field(default_factory=dict)
    size_bytes: int = 60_000_000
    pull_seconds: float = 2.0

    def entry(self) -> ImageEntry:
        return ImageEntry(self.name, self.software, self.config, self.size_bytes, self.pull_seconds)


class Defaults(_Strict):
    """What every workload of the app shares; `{name}` is replaced by the workload name."""

    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    selector: dict[str, str] = Field(default_factory=dict)
    pod_labels: dict[str, str] = Field(default_factory=dict)
    pod_annotations: dict[str, str] = Field(default_factory=dict)
    pod: Obj = Field(default_factory=dict)
    container: Obj = Field(default_factory=dict)
    service_labels: dict[str, str] = Field(default_factory=dict)
    service_selector: dict[str, str] | None = None


class Workload(_Strict):
    name: str
    kind: Literal["Deployment", "StatefulSet", "DaemonSet"] = "Deployment"
    replicas: int = 1
    containers: list[Obj]
    init_containers: list[Obj] = Field(default_factory=list)
    pod: Obj = Field(default_factory=dict)
    strategy: Obj | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    pod_labels: dict[str, str] = Field(default_factory=dict)
    selector: dict[str, str] | None = None
    service: Obj | None = None  # the Service's spec (ports, type); None means no Service
    service_name: str | None = None


class App(_Strict):
    id: str
    name: str
    namespace: str
    service_label: str  # the pod label AIOpsLab's get_logs looks a service up by
    # Requests per second the load generator sends to each entry service (wrk2 / locust).
    traffic: dict[str, float] = Field(default_factory=dict)
    defaults: Defaults = Field(default_factory=Defaults)
    images: list[ImageSpec] = Field(default_factory=list)
    workloads: list[Workload]
    objects: list[Obj] = Field(default_factory=list)

    def workload(self, name: str) -> Workload:
        for w in self.workloads:
            if w.name == name:
                return w
        raise KeyError(name)


def _fill(mapping: dict[str, str], name: str) -> dict[str, str]:
    return {k.replace("{name}", name): v.replace("{name}", name) for k, v in mapping.items()}


def render(app: App) -> list[Obj]:
    """The manifests that deploying the app creates, in apply order."""
    ns = app.namespace
    out: list[Obj] = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}]
    for obj in app.objects:
        obj = copy.deepcopy(obj)
        if obj.get("kind") not in ("PersistentVolume", "StorageClass", "Namespace"):
            obj.setdefault("metadata", {}).setdefault("namespace", ns)
        out.append(obj)
    d = app.defaults
    for w in app.workloads:
        labels = {**_fill(d.labels, w.name), **w.labels}
        selector = w.selector or _fill(d.selector, w.name)
        pod_labels = {**selector, **_fill(d.pod_labels, w.name), **w.pod_labels}
        containers = [json_merge_patch(copy.deepcopy(d.container), c) for c in w.containers]
        inits = [json_merge_patch(copy.deepcopy(d.container), c) for c in w.init_containers]
        pod_spec = json_merge_patch(copy.deepcopy(d.pod), copy.deepcopy(w.pod))
        pod_spec["containers"] = containers
        if inits:
            pod_spec["initContainers"] = inits
        template: Obj = {"metadata": {"labels": pod_labels}, "spec": pod_spec}
        if d.pod_annotations:
            template["metadata"]["annotations"] = _fill(d.pod_annotations, w.name)
        meta: Obj = {"name": w.name, "namespace": ns, "labels": labels}
        if d.annotations:
            meta["annotations"] = _fill(d.annotations, w.name)
        spec: Obj = {"selector": {"matchLabels": selector}, "template": template}
        if w.kind != "DaemonSet":
            spec["replicas"] = w.replicas
        if w.strategy is not None:
            spec["strategy" if w.kind == "Deployment" else "updateStrategy"] = w.strategy
        if w.kind == "StatefulSet":
            spec["serviceName"] = w.service_name or w.name
        out.append({"apiVersion": "apps/v1", "kind": w.kind, "metadata": meta, "spec": spec})
        if w.service is not None:
            service_selector = (
                _fill(d.service_selector, w.name) if d.service_selector is not None else selector
            )
            service_meta: Obj = {"name": w.service_name or w.name, "namespace": ns}
            if d.service_labels:
                service_meta["labels"] = _fill(d.service_labels, w.name)
            service_spec = {
                "type": "ClusterIP",
                "selector": service_selector,
                **copy.deepcopy(w.service),
            }
            out.append(
                {
                    "apiVersion": "v1",
                    "kind": "Service",
                    "metadata": service_meta,
                    "spec": service_spec,
                }
            )
    return out


APP_IDS = ("hotel-reservation", "social-network", "astronomy-shop")


@cache
def load_app(app_id: str) -> App:
    """Load a bundled application by id (see APP_IDS)."""
    if app_id not in APP_IDS:
        raise KeyError(f"unknown app {app_id!r}; known: {', '.join(APP_IDS)}")
    text = resources.files(__package__).joinpath(f"{app_id}.yaml").read_text()
    # libyaml's parser where PyYAML has it: the SocialNetwork file takes 0.12 s in pure Python.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return App.model_validate(yaml.load(text, Loader=loader))
