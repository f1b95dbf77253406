"""Container lifecycles: what happens when a container starts (its Fate), the attempts a
kubelet has made, and the container status those attempts imply at any moment."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from sim.clock import rfc3339

Obj = dict[str, Any]
MAX_BACKOFF = 300.0
BACKOFF_RESET_AFTER = 600.0


@dataclass(frozen=True)
class LogLine:
    """A line a program writes, `offset` seconds after its container started."""

    offset: float
    text: str


@dataclass(frozen=True)
class Fate:
    """What a container does once started, decided from the world at its start.

    - run: keeps running; ready `ready_after` seconds after start, or never when None.
    - exit: terminates `after` seconds after start with `exit_code` and `reason`.
    - blocked: never starts (image pull failure, bad config reference): `reason`, `message`.
    """

    kind: Literal["run", "exit", "blocked"]
    ready_after: float | None = 1.0
    after: float = 0.0
    exit_code: int = 0
    reason: str = ""
    message: str = ""
    startup: tuple[LogLine, ...] = ()
    final: tuple[LogLine, ...] = ()
    program: str | None = None
    unready_message: str = ""
    # Offsets (seconds after start) at which the program wants to be polled even if nothing
    # else happens, e.g. the end of a connect timeout.
    wake_after: tuple[float, ...] = ()


@dataclass
class Attempt:
    """One run of a container. Programs keep what they learn while running in `state` and
    write log lines they decide on later (after the start) to `lines`."""

    restart: int
    started: datetime
    fate: Fate
    container_id: str
    state: dict[str, Any] = field(default_factory=dict)
    lines: list[tuple[datetime, str]] = field(default_factory=list)

    @property
    def ended(self) -> datetime | None:
        if self.fate.kind != "exit":
            return None
        return self.started + timedelta(seconds=self.fate.after)

    @property
    def ready_at(self) -> datetime | None:
        if self.fate.kind != "run" or self.fate.ready_after is None:
            return None
        return self.started + timedelta(seconds=self.fate.ready_after)

    def kill(self, t: datetime) -> None:
        """SIGKILL at `t` (a liveness failure, a changed spec, Chaos Mesh): it exits 137."""
        self.fate = replace(
            self.fate,
            kind="exit",
            exit_code=137,
            reason="Error",
            after=(t - self.started).total_seconds(),
        )

    def running_at(self, t: datetime) -> bool:
        ended = self.ended
        return self.started <= t and (ended is None or t < ended)


@dataclass
class ContainerRun:
    """The kubelet's record of one container of one pod."""

    name: str
    image: str
    attempts: list[Attempt] = field(default_factory=list)
    next_start: datetime | None = None
    blocked: Fate | None = None  # set while the container cannot even start
    blocked_since: datetime | None = None
    blocked_tries: int = 0
    consecutive_failures: int = 0
    pulling_since: datetime | None = None
    exit_handled: bool = False
    # Probe results as the kubelet last saw them (True when the container has no probe).
    probe_ready: bool = True
    readiness_failing_since: datetime | None = None
    liveness_failing_since: datetime | None = None
    liveness_kill_after: float = 20.0
    readiness_due: datetime | None = None
    liveness_due: datetime | None = None
    # When the readiness probe's verdict changed, for telemetry about the past.
    probe_history: list[tuple[datetime, bool]] = field(default_factory=list)

    def probe_ready_at(self, t: datetime) -> bool:
        verdict = True
        for since, ready in self.probe_history:
            if since > t:
                break
            verdict = ready
        return verdict

    @property
    def current(self) -> Attempt | None:
        return self.attempts[-1] if self.attempts else None

    def backoff(self) -> float:
        return float(min(10.0 * 2 ** max(self.consecutive_failures - 1, 0), MAX_BACKOFF))

    def ready(self, t: datetime) -> bool:
        attempt = self.current
        if attempt is None or not attempt.running_at(t) or not self.probe_ready:
            return False
        ready_at = attempt.ready_at
        return ready_at is not None and ready_at <= t

    def status(
        self, t: datetime, pod_name: str, pod_ns: str, pod_uid: str, restart_policy: str
    ) -> Obj:
        """The containerStatuses entry a kubelet would report at time `t`."""
        status: Obj = {
            "name": self.name,
            "image": self.image,
            "imageID": "",
            "ready": self.ready(t),
            "restartCount": max(len(self.attempts) - 1, 0),
            "started": False,
            "lastState": {},
        }
        attempt = self.current
        if attempt is None:
            status["state"] = {"waiting": self._waiting_reason(t)}
            return status
        status["imageID"] = f"docker.io/{self.image}@sha256:{attempt.container_id[:64]}"
        status["containerID"] = f"containerd://{attempt.container_id}"
        previous = self.attempts[-2] if len(self.attempts) > 1 else None
        if previous is not None:
            status["lastState"] = {"terminated": _terminated(previous)}
        if attempt.running_at(t):
            status["state"] = {"running": {"startedAt": rfc3339(attempt.started)}}
            status["started"] = True
        elif self.blocked is not None and self.blocked_since is not None:
            status["state"] = {"waiting": self._waiting_reason(t)}
            status["lastState"] = {"terminated": _terminated(attempt)}
        elif self.next_start is not None and restart_policy != "Never":
            wait = self.backoff()
            status["state"] = {
                "waiting": {
                    "reason": "CrashLoopBackOff",
                    "message": f"back-off {_go_duration(wait)} restarting failed "
                    f"container={self.name} pod={pod_name}_{pod_ns}({pod_uid})",
                }
            }
            status["lastState"] = {"terminated": _terminated(attempt)}
        else:
            status["state"] = {"terminated": _terminated(attempt)}
        return status

    def _waiting_reason(self, t: datetime) -> Obj:
        if self.blocked is None:
            return {"reason": "ContainerCreating"}
        reason = self.blocked.reason
        if reason == "ErrImagePull" and self.blocked_tries > 1:
            # Between pulls the kubelet reports the back-off, at a pull the error itself.
            reason = "ImagePullBackOff"
            return {
                "reason": reason,
                "message": f'Back-off pulling image "{self.image}": '
                f"ErrImagePull: {self.blocked.message}",
            }
        return {"reason": reason, "message": self.blocked.message}


def _terminated(attempt: Attempt) -> Obj:
    ended = attempt.ended or attempt.started
    return {
        "exitCode": attempt.fate.exit_code,
        "reason": attempt.fate.reason or "Error",
        "startedAt": rfc3339(attempt.started),
        "finishedAt": rfc3339(ended),
        "containerID": f"containerd://{attempt.container_id}",
    }


def _go_duration(seconds: float) -> str:
    """Go's time.Duration String() for whole seconds: 10s, 1m20s, 5m0s."""
    whole = int(seconds)
    if whole < 60:
        return f"{whole}s"
    return f"{whole // 60}m{whole % 60}s"
