"""The cluster an investigation looks at: a kubeconfig (with the Probe's read-only context
and the Executor's writer context), a Prometheus URL and a Jaeger URL."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError


class TargetError(ValueError):
    """A target that cannot be used."""


class ClusterTarget(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kubeconfig: Path
    probe_context: str | None = None  # None: the kubeconfig's current context
    executor_context: str | None = None
    namespace: str | None = None  # the incident's namespace, when known
    prometheus_url: str | None = None
    jaeger_url: str | None = None
    kubectl_cache: Path | None = None  # kubectl's --cache-dir; None: its default (~/.kube/cache)

    @classmethod
    def from_serve_json(cls, line: str, namespace: str | None = None) -> ClusterTarget:
        """From the one JSON line `aoi sim serve --json` prints: the reader context is the
        kubeconfig's default, the writer is `sim-writer`."""
        try:
            data = json.loads(line)
            return cls(
                kubeconfig=Path(data["kubeconfig"]),
                executor_context="sim-writer",
                namespace=namespace,
                prometheus_url=data.get("prometheus_url"),
                jaeger_url=data.get("jaeger_url"),
            )
        except (ValueError, KeyError, TypeError, ValidationError) as exc:
            raise TargetError(f"not a `aoi sim serve --json` line: {exc}") from exc

    def context_for(self, role: str) -> str | None:
        return self.executor_context if role == "executor" else self.probe_context
