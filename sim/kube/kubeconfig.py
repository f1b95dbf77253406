"""The kubeconfig a served cluster hands out: contexts `sim-reader` (default) and `sim-writer`."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

import yaml

from sim.kube.identity import Identities

READER_CONTEXT = "sim-reader"
WRITER_CONTEXT = "sim-writer"


def kubeconfig_document(
    server_url: str, ca_pem: bytes, identities: Identities, namespace: str = "default"
) -> dict[str, Any]:
    ca = base64.b64encode(ca_pem).decode()
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {"name": "sim", "cluster": {"server": server_url, "certificate-authority-data": ca}}
        ],
        "users": [
            {"name": "aoi-probe", "user": {"token": identities.reader_token}},
            {"name": "aoi-executor", "user": {"token": identities.writer_token}},
        ],
        "contexts": [
            {
                "name": READER_CONTEXT,
                "context": {"cluster": "sim", "user": "aoi-probe", "namespace": namespace},
            },
            {
                "name": WRITER_CONTEXT,
                "context": {"cluster": "sim", "user": "aoi-executor", "namespace": namespace},
            },
        ],
        "current-context": READER_CONTEXT,
        "preferences": {},
    }


def write_kubeconfig(path: Path, document: dict[str, Any]) -> Path:
    """Write the kubeconfig readable by its owner only: it holds bearer tokens."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        yaml.safe_dump(document, fh, sort_keys=False)
    return path
