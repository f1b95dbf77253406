"""Configured log lines: their timestamp spellings, filled only where a pattern asks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sim.world.software import logfmt

AT = datetime(2026, 1, 13, 11, 58, 7, 250_000, tzinfo=UTC)


def test_every_spelling_of_a_moment() -> None:
    assert logfmt.stamps(AT) == {
        "iso": "2026-01-13T11:58:07.250Z",
        "space": "2026-01-13 11:58:07,250",
        "epoch_ms": "1768305487250",
        "epoch": "1768305487.250000",
        "redis": "13 Jan 2026 11:58:07.250",
    }
    # A moment in another zone is spelled in UTC, the same instant.
    elsewhere = AT.astimezone(timezone(timedelta(hours=2)))
    assert logfmt.stamps(elsewhere) == logfmt.stamps(AT)


def test_a_pattern_gets_the_spellings_it_holds_and_the_same_line() -> None:
    pattern = '{"ts": {epoch_ms}, "at": "{iso}", "msg": "{msg}"}'
    assert logfmt.stamps(AT, pattern) == {
        "iso": "2026-01-13T11:58:07.250Z",
        "epoch_ms": "1768305487250",
    }
    assert logfmt.stamps(AT, "no stamp here") == {}
    line = logfmt.fill(pattern, {**logfmt.stamps(AT, pattern), "msg": "up"})
    assert line == logfmt.fill(pattern, {**logfmt.stamps(AT), "msg": "up"})
    assert line == '{"ts": 1768305487250, "at": "2026-01-13T11:58:07.250Z", "msg": "up"}'
