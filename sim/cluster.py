"""A running emulated cluster: a World with its apps deployed, its Kubernetes API served over
HTTPS on loopback (with a kubeconfig for its two identities) and its Prometheus API over HTTP,
from a thread of its own so that callers (tests, the CLI, agents) can use it synchronously."""

from __future__ import annotations

import asyncio
import tempfile
import threading
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from sim import platform
from sim.apps import App, render
from sim.clock import SimClock
from sim.kube.api import ResourceApi
from sim.kube.identity import Identities
from sim.kube.kubeconfig import kubeconfig_document, write_kubeconfig
from sim.kube.resources import resource_for_kind
from sim.kube.server import KubeApiServer
from sim.kube.targets import Target
from sim.kube.tls import make_serving_cert
from sim.telemetry.jaeger import JaegerApi
from sim.telemetry.metrics import MetricStore
from sim.telemetry.prometheus import PrometheusApi
from sim.world.runtime import World
from sim.world.software import build_catalog

Obj = dict[str, Any]


class SimCluster:
    """An emulated kind cluster. Build it with `deploy`, then `serve` it."""

    def __init__(self, clock: SimClock, seed: int = 0, apps: Iterable[App] = ()) -> None:
        self.clock = clock
        self.apps = list(apps)
        self.world = World(clock, build_catalog(self.apps), seed)
        self.api = ResourceApi(self.world.store, self.world)
        self.identities = Identities()
        self.kubeconfig: Path | None = None
        self.url: str | None = None
        self.prometheus_url: str | None = None
        self.jaeger_url: str | None = None
        self.kubectl_cache: Path | None = None
        self.metrics = MetricStore(
            self.world, {app.namespace: dict(app.traffic) for app in self.apps}
        )
        self.world.load = self.metrics.traffic.load_millicores
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None

    # -- building ---------------------------------------------------------------------------

    def apply(self, manifest: Obj) -> Obj:
        """Create one object through the API as an administrator would."""
        kind = manifest["kind"]
        rt = resource_for_kind(kind)
        namespace = manifest.get("metadata", {}).get("namespace") if rt.namespaced else None
        return self.api.create(Target(rt, namespace), manifest)

    def bootstrap(self) -> None:
        """The kind cluster itself: nodes, system namespaces, control plane, daemons."""
        at = self.clock.now()
        nodes = [self.apply(platform.node_manifest(*spec, at=at)) for spec in platform.NODES]
        for name in platform.SYSTEM_NAMESPACES:
            self.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
        for pod in platform.static_pods(nodes[0]):
            created = self.apply(pod)
            self.world.scheduler.bind_direct(created, nodes[0]["metadata"]["name"], at)
        for manifest in platform.system_manifests():
            self.apply(manifest)

    def deploy(self, app: App) -> None:
        with self.api.batch():
            self._deploy(app)

    def _deploy(self, app: App) -> None:
        for manifest in render(app):
            if manifest["kind"] == "Namespace" and self.world.store.peek(
                resource_for_kind("Namespace"), None, manifest["metadata"]["name"]
            ):
                continue
            self.apply(manifest)

    def advance_to(self, t: datetime) -> None:
        with self.api.lock:
            self.clock.set(t)
            self.world.sync()

    def advance(self, seconds: float) -> None:
        with self.api.lock:
            self.clock.advance(seconds)
            self.world.sync()

    # -- serving ----------------------------------------------------------------------------

    def serve(
        self,
        *,
        port: int = 0,
        kubeconfig: Path | None = None,
        namespace: str = "default",
        prometheus_port: int = 0,
        jaeger_port: int = 0,
    ) -> SimCluster:
        """Serve the Kubernetes API over HTTPS, and the Prometheus and Jaeger query APIs over
        HTTP, on 127.0.0.1 (port 0 picks a free one), and write the kubeconfig."""
        cert = make_serving_cert()
        sites = [
            (KubeApiServer(self.api, self.identities).app(), port, cert.server_context()),
            (PrometheusApi(self.api, self.metrics).app(), prometheus_port, None),
            (JaegerApi(self.api, self.metrics.traffic).app(), jaeger_port, None),
        ]
        ready = threading.Event()
        failure: list[BaseException] = []
        urls: list[str] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            runners = []
            try:
                for app, site_port, context in sites:
                    runner = web.AppRunner(app, access_log=None)
                    loop.run_until_complete(runner.setup())
                    runners.append(runner)
                    site = web.TCPSite(runner, "127.0.0.1", site_port, ssl_context=context)
                    loop.run_until_complete(site.start())
                    scheme = "https" if context is not None else "http"
                    urls.append(f"{scheme}://127.0.0.1:{runner.addresses[0][1]}")
            except BaseException as exc:  # reported to the caller below
                failure.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            for runner in runners:
                loop.run_until_complete(runner.cleanup())
            loop.close()

        self._thread = threading.Thread(target=run, name="sim-servers", daemon=True)
        self._thread.start()
        ready.wait()
        if failure:
            raise failure[0]
        self.url, self.prometheus_url, self.jaeger_url = urls
        self._tmp = tempfile.TemporaryDirectory(prefix="aoi-sim-")
        if kubeconfig is None:
            kubeconfig = Path(self._tmp.name) / "kubeconfig"
        # kubectl keeps a discovery cache per server address; this server's port is never
        # seen again, so its cache goes with it (in ~/.kube/cache every eval attempt and test
        # left one: 2,400 folders and 385 MB on the development machine).
        self.kubectl_cache = Path(self._tmp.name) / "kube-cache"
        self.kubeconfig = write_kubeconfig(
            kubeconfig, kubeconfig_document(self.url, cert.ca_pem, self.identities, namespace)
        )
        return self

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
        self._loop = self._thread = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
            self.kubectl_cache = None

    def __enter__(self) -> SimCluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
