"""Log line formats of the software in the emulated apps, each as the real program prints it."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any


def zerolog(t: datetime, level: str, caller: str, message: str) -> str:
    """Go zerolog ConsoleWriter (HotelReservation): `2026-01-13T12:30:06Z INF cmd/geo/main.go:23
    > Reading config...`."""
    return f"{t.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')} {level} {caller} > {message}"


def zerolog_json(t: datetime, level: str, message: str) -> str:
    stamp = t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return json.dumps({"level": level, "time": stamp, "message": message}, separators=(",", ":"))


def boost(t: datetime, severity: str, where: str, message: str) -> str:
    """DeathStarBench Boost.Log (SocialNetwork): `[2026-Jan-13 12:30:06.407582] <info>:
    (UserService.cpp:94:main) Starting the user-service server ...`."""
    stamp = t.astimezone(UTC).strftime("%Y-%b-%d %H:%M:%S.%f")
    return f"[{stamp}] <{severity}>: ({where}) {message}"


def thrift(t: datetime, message: str) -> str:
    """Apache Thrift's C++ global output: `Thrift: Tue Jan 13 12:30:06 2026 TSocket::open()...`."""
    return f"Thrift: {t.astimezone(UTC).strftime('%a %b %d %H:%M:%S %Y')} {message}"


def mongo(
    t: datetime,
    severity: str,
    component: str,
    log_id: int,
    ctx: str,
    msg: str,
    attr: dict[str, Any] | None = None,
) -> str:
    """MongoDB 4.4 structured log line."""
    stamp = t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}+00:00"
    entry: dict[str, Any] = {
        "t": {"$date": stamp},
        "s": severity,
        "c": component,
        "id": log_id,
        "ctx": ctx,
        "msg": msg,
    }
    if attr:
        entry["attr"] = attr
    return json.dumps(entry, separators=(",", ":"))


def nginx_error(t: datetime, level: str, message: str, pid: int = 8) -> str:
    return f"{t.astimezone(UTC).strftime('%Y/%m/%d %H:%M:%S')} [{level}] {pid}#{pid}: {message}"


def redis(t: datetime, symbol: str, message: str, role: str = "M", pid: int = 1) -> str:
    stamp = t.astimezone(UTC).strftime("%d %b %Y %H:%M:%S.") + f"{t.microsecond // 1000:03d}"
    return f"{pid}:{role} {stamp} {symbol} {message}"


def hclog(t: datetime, level: str, message: str) -> str:
    """HashiCorp hclog (consul): `2026-01-13T12:30:06.123Z [INFO]  agent: ...`."""
    stamp = t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"
    return f"{stamp} [{level}] {' ' if len(level) == 4 else ''}{message}"


def zap_json(t: datetime, level: str, caller: str, message: str, **fields: Any) -> str:
    """Uber zap JSON (jaeger, otel collector)."""
    entry: dict[str, Any] = {
        "level": level,
        "ts": round(t.timestamp(), 6),
        "caller": caller,
        "msg": message,
    }
    entry.update(fields)
    return json.dumps(entry, separators=(",", ":"))


def stamps(t: datetime, pattern: str | None = None) -> dict[str, str]:
    """Timestamp spellings configured lines may use: {iso}, {space}, {epoch_ms}, {epoch},
    {redis}; with a `pattern`, only those it holds (a pod's log renders thousands of lines,
    and formatting all five was about 40% of each line's cost, by py-spy)."""
    utc = t.astimezone(UTC)
    millis = f"{t.microsecond // 1000:03d}"
    spell: dict[str, Callable[[], str]] = {
        "iso": lambda: utc.strftime("%Y-%m-%dT%H:%M:%S.") + millis + "Z",
        "space": lambda: utc.strftime("%Y-%m-%d %H:%M:%S,") + millis,
        "epoch_ms": lambda: str(int(t.timestamp() * 1000)),
        "epoch": lambda: f"{t.timestamp():.6f}",
        "redis": lambda: utc.strftime("%d %b %Y %H:%M:%S.") + millis,
    }
    return {
        key: make() for key, make in spell.items() if pattern is None or "{" + key + "}" in pattern
    }


def fill(pattern: str, values: dict[str, Any]) -> str:
    """Replace `{key}` placeholders; other braces (JSON lines) are left alone."""
    for key, value in values.items():
        pattern = pattern.replace("{" + key + "}", str(value))
    return pattern
