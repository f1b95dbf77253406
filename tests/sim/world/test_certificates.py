"""Serving certificates: real X.509, deterministic per seed, judged as Go's crypto/tls does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cryptography import x509

from sim.world.certificates import make_certificate, validity_problem

START = datetime(2026, 1, 1, tzinfo=UTC)


def test_certificate_is_real_and_reproducible() -> None:
    cert, key = make_certificate("seed", ["payment", "payment.svc"], START, START + timedelta(1))
    again, _ = make_certificate("seed", ["payment", "payment.svc"], START, START + timedelta(1))
    assert cert == again and "PRIVATE KEY" in key
    parsed = x509.load_pem_x509_certificate(cert.encode())
    names = parsed.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["payment", "payment.svc"]


def test_expiry_and_not_yet_valid_read_as_go_reports_them() -> None:
    cert, _ = make_certificate("s", ["x"], START, START + timedelta(hours=1))
    assert validity_problem(cert, START + timedelta(minutes=30)) is None
    expired = validity_problem(cert, START + timedelta(hours=2))
    assert expired == (
        "x509: certificate has expired or is not yet valid: current time "
        "2026-01-01T02:00:00Z is after 2026-01-01T01:00:00Z"
    )
    early = validity_problem(cert, START - timedelta(hours=1))
    assert early is not None and "is before 2026-01-01T00:00:00Z" in early
    assert "malformed" in (validity_problem("not a certificate", START) or "")
