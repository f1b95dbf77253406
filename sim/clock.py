"""The simulated clock every part of `sim` reads time from.

A served cluster follows the wall clock, so the ages kubectl computes on the client agree with
the server's; tests use a manual clock and move it on explicitly, which makes every run
reproducible to the second.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from functools import lru_cache


class SimClock:
    """Simulated time: `start` plus real elapsed time (follow_wall) or plus manual advances."""

    def __init__(self, start: datetime, *, follow_wall: bool = False) -> None:
        if start.tzinfo is None:
            raise ValueError("SimClock needs an aware datetime")
        self._start = start.astimezone(UTC).replace(microsecond=0)
        self._follow_wall = follow_wall
        self._monotonic0 = time.monotonic()
        self._manual = timedelta()

    @classmethod
    def wall(cls) -> SimClock:
        return cls(datetime.now(UTC), follow_wall=True)

    def now(self) -> datetime:
        elapsed = self._manual
        if self._follow_wall:
            elapsed += timedelta(seconds=time.monotonic() - self._monotonic0)
        return self._start + elapsed

    def advance(self, seconds: float) -> datetime:
        """Move simulated time on (also in wall mode, e.g. to skip ahead in a demo)."""
        self._manual += timedelta(seconds=seconds)
        return self.now()

    def set(self, t: datetime) -> None:
        """Jump to `t` (used while replaying a scenario's history, before serving)."""
        self._start, self._manual = t.astimezone(UTC), timedelta()
        self._monotonic0 = time.monotonic()

    def follow_wall(self) -> None:
        """From now on, advance with real time (a served cluster)."""
        self._start, self._manual = self.now(), timedelta()
        self._monotonic0 = time.monotonic()
        self._follow_wall = True


@lru_cache(maxsize=8192)  # the controllers stamp the same few instants thousands of times
def rfc3339(t: datetime) -> str:
    """`2026-01-13T12:30:06Z`, the second-precision form of metav1.Time."""
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def rfc3339_micro(t: datetime) -> str:
    """`2026-01-13T12:30:06.123456Z`, the form of metav1.MicroTime."""
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
