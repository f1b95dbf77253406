"""MongoDB 4.4 (mongod) and the client side of talking to it (TLS, SCRAM auth, authorization),
shared by every program that uses a MongoDB."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import yaml

from sim.world.lifecycle import Fate, LogLine
from sim.world.mongo import ShellError, run_shell_script
from sim.world.software import logfmt
from sim.world.software.base import Observation, Program, RunContext
from sim.world.software.catalog import ImageEntry

INIT_DIR = "/docker-entrypoint-initdb.d"
DATA_DIR = "/data/db"


def _arg(args: list[str], flag: str) -> str | None:
    for i, arg in enumerate(args):
        if arg == flag and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(flag + "="):
            return arg.split("=", 1)[1]
    return None


@lru_cache(maxsize=256)
def _net_section(text: str) -> dict[str, Any]:
    """The `net` section of a mongod config file's text. Cached by the text: every client's
    connect reads it, and a config only changes by a new ConfigMap (new text). Callers only
    read what it returns."""
    try:
        conf = yaml.safe_load(text)
    except yaml.YAMLError:
        conf = None
    net = (conf or {}).get("net") if isinstance(conf, dict) else None
    return net if isinstance(net, dict) else {}


class MongoDB(Program):
    ports = (27017,)
    memory_mib = 95
    cpu_millicores = 9

    def __init__(self, entry: ImageEntry, args: list[str]) -> None:
        self.version = str(entry.config.get("version", "4.4.6"))
        self.args = args
        self.auth = "--auth" in args
        self.config_path = _arg(args, "--config") or _arg(args, "-f")

    def _net(self, ctx: RunContext) -> dict[str, Any]:
        """The `net` section of the config file, if there is one."""
        if not self.config_path:
            return {}
        text = ctx.file(self.config_path)
        return _net_section(text) if text else {}

    def tls(self, ctx: RunContext) -> tuple[str, str | None]:
        """(tls mode, certificate key file) from the command line or the config file."""
        mode = _arg(self.args, "--tlsMode") or _arg(self.args, "--sslMode")
        key_file = _arg(self.args, "--tlsCertificateKeyFile")
        tls = self._net(ctx).get("tls") or {}
        if isinstance(tls, dict):
            mode = mode or tls.get("mode")
            key_file = key_file or tls.get("certificateKeyFile")
        return str(mode or "disabled"), key_file

    def max_connections(self, ctx: RunContext) -> int:
        """net.maxIncomingConnections (or --maxConns); mongod's default is effectively 65536."""
        value = _arg(self.args, "--maxConns") or self._net(ctx).get("maxIncomingConnections")
        try:
            return int(value) if value is not None else 65536
        except (TypeError, ValueError):
            return 65536

    def _line(
        self,
        t: datetime,
        s: str,
        c: str,
        i: int,
        ctx: str,
        msg: str,
        attr: dict[str, Any] | None = None,
    ) -> str:
        return logfmt.mongo(t, s, c, i, ctx, msg, attr)

    def start(self, ctx: RunContext) -> Fate:
        t = ctx.at
        data = ctx.world.mongo_data(ctx.pod)
        mode, key_file = self.tls(ctx)
        lines = [
            LogLine(
                0.0,
                self._line(
                    t,
                    "I",
                    "CONTROL",
                    23285,
                    "main",
                    "Automatically "
                    "disabling TLS 1.0, to force-enable TLS 1.0 specify "
                    "--sslDisabledProtocols 'none'",
                ),
            ),
            LogLine(
                0.01,
                self._line(
                    t,
                    "I",
                    "CONTROL",
                    4615611,
                    "initandlisten",
                    "MongoDB starting",
                    {
                        "pid": 1,
                        "port": 27017,
                        "dbPath": DATA_DIR,
                        "architecture": "64-bit",
                        "host": ctx.pod_name,
                    },
                ),
            ),
            LogLine(
                0.02,
                self._line(
                    t,
                    "I",
                    "CONTROL",
                    23403,
                    "initandlisten",
                    "Build Info",
                    {
                        "buildInfo": {
                            "version": self.version,
                            "gitVersion": "72e66213c2c3eab37d9358d5e78ad7f5c1d0d0cf",
                            "openSSLVersion": "OpenSSL 1.1.1f  31 Mar 2020",
                        }
                    },
                ),
            ),
        ]
        if mode != "disabled":
            cert = ctx.file(key_file) if key_file else None
            if cert is None:
                message = (
                    f"cannot read PEM key file: {key_file}: error:02001002:system "
                    "library:fopen:No such file or directory"
                )
                return Fate(
                    "exit",
                    after=0.1,
                    exit_code=1,
                    reason="Error",
                    startup=tuple(
                        [
                            *lines,
                            LogLine(0.05, self._line(t, "E", "NETWORK", 23248, "main", message)),
                            LogLine(
                                0.06,
                                self._line(
                                    t,
                                    "F",
                                    "CONTROL",
                                    20574,
                                    "main",
                                    "Error during global initialization",
                                    {
                                        "error": {
                                            "code": 140,
                                            "codeName": "InvalidSSLConfig",
                                            "errmsg": message,
                                        }
                                    },
                                ),
                            ),
                        ]
                    ),
                )
        ready_after = 1.2
        offset = 0.3
        if not data.initialized:
            scripts = ctx.world.mounts.directory(ctx.pod, ctx.container, INIT_DIR)
            for name in sorted(scripts):
                lines.append(
                    LogLine(
                        offset, f"/usr/local/bin/docker-entrypoint.sh: running {INIT_DIR}/{name}"
                    )
                )
                offset += 0.1
                try:
                    for out in run_shell_script(data, scripts[name], as_user=None):
                        lines.append(LogLine(offset, out))
                        offset += 0.05
                except ShellError as exc:
                    lines.append(LogLine(offset, str(exc)))
                    return Fate(
                        "exit",
                        after=offset + 0.1,
                        exit_code=1,
                        reason="Error",
                        startup=tuple(lines),
                    )
            data.initialized = True
            if scripts:
                ready_after += offset + 1.5
        lines.append(
            LogLine(
                ready_after - 0.05,
                self._line(
                    t + timedelta(seconds=ready_after),
                    "I",
                    "NETWORK",
                    23015,
                    "listener",
                    "Listening on",
                    {"address": "0.0.0.0"},
                ),
            )
        )
        lines.append(
            LogLine(
                ready_after,
                self._line(
                    t + timedelta(seconds=ready_after),
                    "I",
                    "NETWORK",
                    23016,
                    "listener",
                    "Waiting for connections",
                    {"port": 27017, "ssl": "off" if mode == "disabled" else "on"},
                ),
            )
        )
        return Fate("run", ready_after=0.0, startup=tuple(lines), wake_after=(ready_after,))

    def serving(self, ctx: RunContext) -> set[int]:
        attempt = ctx.attempt
        if attempt is None or not attempt.fate.wake_after:
            return set()
        listening = attempt.started + timedelta(seconds=attempt.fate.wake_after[0])
        return set(self.ports) if ctx.at >= listening else set()

    def runtime_log(
        self,
        ctx: RunContext,
        start: datetime,
        end: datetime,
        timeline: list[tuple[datetime, Observation]],
    ) -> list[tuple[datetime, str]]:
        data = ctx.world.mongo_data(ctx.pod)
        out = []
        for attempt in data.attempts:
            # Refusals repeat while the client retries, so an older one still logs now.
            if attempt.at > end or (attempt.at < start and attempt.outcome != "too_many"):
                continue
            remote = f"{attempt.client}:{40000 + ctx.world.stable_hash(attempt.at) % 20000}"
            # An unauthorized command reuses the accepted connection; a refusal has none.
            if attempt.outcome not in ("unauthorized", "too_many"):
                out.append(
                    (
                        attempt.at,
                        self._line(
                            attempt.at,
                            "I",
                            "NETWORK",
                            22943,
                            "listener",
                            "Connection accepted",
                            {"remote": remote, "connectionId": 1},
                        ),
                    )
                )
            if attempt.outcome == "user_not_found":
                out.append(
                    (
                        attempt.at + timedelta(milliseconds=3),
                        self._line(
                            attempt.at,
                            "I",
                            "ACCESS",
                            20249,
                            "conn1",
                            "Authentication failed",
                            {
                                "mechanism": "SCRAM-SHA-1",
                                "speculative": False,
                                "principalName": attempt.user,
                                "authenticationDatabase": "admin",
                                "remote": remote,
                                "extraInfo": {},
                                "error": f'UserNotFound: Could not find user "{attempt.user}" '
                                'for db "admin"',
                            },
                        ),
                    )
                )
            elif attempt.outcome == "unauthorized":
                out.append(
                    (
                        attempt.at + timedelta(milliseconds=5),
                        self._line(
                            attempt.at,
                            "I",
                            "ACCESS",
                            20436,
                            "conn1",
                            "Checking authorization failed",
                            {
                                "error": {
                                    "code": 13,
                                    "codeName": "Unauthorized",
                                    "errmsg": attempt.detail,
                                }
                            },
                        ),
                    )
                )
            elif attempt.outcome == "too_many":
                limit = self.max_connections(ctx)
                t = attempt.at
                until = next(
                    (
                        a.at
                        for a in data.attempts
                        if a.at > attempt.at and a.client == attempt.client
                    ),
                    end,
                )
                while t < min(until, end):
                    if t >= start:
                        out.append(
                            (
                                t,
                                self._line(
                                    t,
                                    "I",
                                    "NETWORK",
                                    22942,
                                    "listener",
                                    "Connection refused because there are too many open "
                                    "connections",
                                    {"remote": f"{attempt.client}:43210", "connectionCount": limit},
                                ),
                            )
                        )
                    t += timedelta(seconds=5)
            elif attempt.outcome == "tls_required":
                out.append(
                    (
                        attempt.at + timedelta(milliseconds=1),
                        self._line(
                            attempt.at,
                            "I",
                            "NETWORK",
                            22988,
                            "conn1",
                            "Error receiving request from client. Ending connection from remote",
                            {
                                "error": {
                                    "code": 141,
                                    "codeName": "SSLHandshakeFailed",
                                    "errmsg": "The server is configured to only allow SSL "
                                    "connections",
                                },
                                "remote": remote,
                            },
                        ),
                    )
                )
        # WiredTiger checkpoints: the steady background chatter of an idle mongod.
        t = start + timedelta(seconds=60)
        while t <= end:
            out.append(
                (
                    t,
                    self._line(
                        t,
                        "I",
                        "STORAGE",
                        22430,
                        "WTCheckpointThread",
                        "WiredTiger message",
                        {
                            "message": f"[{int(t.timestamp())}"
                            f":{t.microsecond}][1:0x7f] WT_SESSION.checkpoint: "
                            "[WT_VERB_CHECKPOINT_PROGRESS] saving checkpoint "
                            "snapshot min: 37, snapshot max: 37"
                        },
                    ),
                )
            )
            t += timedelta(seconds=60)
        return out
