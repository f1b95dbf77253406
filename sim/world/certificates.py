"""Serving certificates inside the cluster: a server whose container sets TLS_CERT_FILE
serves the certificate in that file (usually a mounted kubernetes.io/tls Secret), and a
client's handshake fails as Go's crypto/tls reports it when the certificate has expired, is
not yet valid, or cannot be read. Certificates are real X.509, made with `cryptography`."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.x509.oid import NameOID

if TYPE_CHECKING:
    from sim.world.runtime import World

Obj = dict[str, Any]


def _stamp(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def validity_problem(pem: str, at: datetime) -> str | None:
    """Why a client rejects this certificate at `at`, in Go's words, or None."""
    try:
        cert = x509.load_pem_x509_certificate(pem.encode())
    except ValueError:
        return "tls: failed to parse certificate from server: x509: malformed certificate"
    if at > cert.not_valid_after_utc:
        return (
            "x509: certificate has expired or is not yet valid: current time "
            f"{_stamp(at)} is after {_stamp(cert.not_valid_after_utc)}"
        )
    if at < cert.not_valid_before_utc:
        return (
            "x509: certificate has expired or is not yet valid: current time "
            f"{_stamp(at)} is before {_stamp(cert.not_valid_before_utc)}"
        )
    return None


def handshake_problem(world: World, pod: Obj, port: int, at: datetime) -> str | None:
    """What a TLS client connecting to `pod:port` fails with, or None (no TLS, or fine)."""
    found = world.program_serving(pod, port, at)
    if found is None:
        return None
    _, ctx = found
    path = ctx.env("TLS_CERT_FILE")
    if not path:
        return None
    pem = ctx.file(path)
    if pem is None:
        return "remote error: tls: internal error"
    return validity_problem(pem, at)


def make_certificate(
    seed: str, names: list[str], not_before: datetime, not_after: datetime
) -> tuple[str, str]:
    """(certificate PEM, private key PEM): a self-signed Ed25519 certificate for `names`,
    the same for the same seed (Ed25519 signatures are deterministic)."""
    key = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(seed.encode()).digest())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big"))
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), False)
        .sign(key, None)
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem.decode()


class Expiries:
    """When the cluster's TLS Secrets expire: moments the world must step at, so that
    clients notice an expiry when it happens rather than at the next unrelated event."""

    def __init__(self, world: World) -> None:
        self.world = world
        self._seen: dict[tuple[str, str, str], datetime | None] = {}

    def wake_times(self) -> list[datetime]:
        out = []
        for secret in self.world.store.kind_iter("Secret"):
            if secret.get("type") != "kubernetes.io/tls":
                continue
            meta = secret["metadata"]
            key = (meta["namespace"], meta["name"], str(meta.get("resourceVersion")))
            if key not in self._seen:
                self._seen[key] = _not_after(secret)
            found = self._seen[key]
            if found is not None:  # Go rejects a certificate only once now is *after* it
                out.append(found + timedelta(seconds=1))
        return out


def _not_after(secret: Obj) -> datetime | None:
    try:
        pem = base64.b64decode((secret.get("data") or {}).get("tls.crt", ""))
        return x509.load_pem_x509_certificate(pem).not_valid_after_utc
    except ValueError:
        return None
