"""The `mongo` shell as a one-shot container (e.g. a Job granting a role back): it connects,
authenticates and runs its --eval script, or a bash script of `mongo` calls; and the factory
that tells a mongo:4.4 container running mongod from one running the shell."""

from __future__ import annotations

import re
import shlex
import uuid

from sim.world.lifecycle import Fate, LogLine
from sim.world.mongo import ShellError, run_shell_script
from sim.world.software.base import Program, RunContext
from sim.world.software.catalog import ImageEntry
from sim.world.software.mongoclient import mongo_connect
from sim.world.software.mongodb import MongoDB


class MongoShell(Program):
    """The `mongo` shell (or a bash script of `mongo` calls) run as a one-shot container, e.g.
    in a Job that grants a role back: it connects, authenticates, runs its --eval script."""

    memory_mib = 30
    cpu_millicores = 20

    def __init__(self, words: list[str]) -> None:
        self.words = words

    def _steps(self, ctx: RunContext) -> list[list[str]] | str:
        """The commands to run in order (`mongo` calls and `echo`s), or bash's complaint
        when the script it was given is not there."""
        words = self.words
        if not (words and words[0].rsplit("/", 1)[-1] in ("sh", "bash")):
            return [words]
        if len(words) > 2 and words[1] == "-c":
            lines = [words[2]]
        elif len(words) > 1:
            text = ctx.file(words[1])
            if text is None:
                return f"{words[0]}: {words[1]}: No such file or directory"
            lines = text.splitlines()
        else:
            lines = []
        out = []
        for line in lines:
            for part in re.split(r"&&|;\s*\n|\n", line):
                try:
                    split = shlex.split(part, comments=True)
                except ValueError:
                    continue
                if split and split[0].rsplit("/", 1)[-1] in ("mongo", "mongosh", "echo"):
                    out.append(split)
        return out

    def start(self, ctx: RunContext) -> Fate:
        steps = self._steps(ctx)
        if isinstance(steps, str):
            return Fate(
                "exit", after=0.05, exit_code=127, reason="Error", startup=(LogLine(0.0, steps),)
            )
        lines: list[LogLine] = []
        offset = 0.3
        for words in steps:
            if words[0] == "echo":
                lines.append(LogLine(offset, " ".join(w for w in words[1:] if w != "-e")))
                continue
            ok, output = self._run(ctx, words[1:])
            lines += [LogLine(offset, text) for text in output]
            offset += 0.2
            if not ok:
                lines.append(LogLine(offset, "exiting with code 1"))
                return Fate(
                    "exit", after=offset + 0.05, exit_code=1, reason="Error", startup=tuple(lines)
                )
        return Fate(
            "exit", after=offset + 0.05, exit_code=0, reason="Completed", startup=tuple(lines)
        )

    def _run(self, ctx: RunContext, args: list[str]) -> tuple[bool, list[str]]:
        host, database, user, password, script = "localhost:27017", "test", None, None, ""
        i = 0
        while i < len(args):
            arg = args[i]
            value = args[i + 1] if i + 1 < len(args) else ""
            if arg in ("--host", "-h"):
                host, i = value, i + 2
            elif arg in ("-u", "--username"):
                user, i = value, i + 2
            elif arg in ("-p", "--password"):
                password, i = value, i + 2
            elif arg == "--eval":
                script, i = value, i + 2
            elif arg in ("--authenticationDatabase", "--port"):
                if arg == "--port":
                    host = f"{host.split(':')[0]}:{value}"
                i += 2
            elif arg.startswith("mongodb://"):
                match = re.match(r"mongodb://(?:([^:@]+):([^@]*)@)?([^/?]+)/?([^?]*)", arg)
                if match:
                    user = user or match.group(1)
                    password = password or match.group(2)
                    host, database = match.group(3), match.group(4) or database
                i += 1
            elif not arg.startswith("-"):
                target = arg.split("/", 1)
                if len(target) == 2:
                    host, database = target
                else:
                    database = target[0]
                i += 1
            else:
                i += 1
        address = host if ":" in host else f"{host}:27017"
        banner = [
            "MongoDB shell version v4.4.6",
            f"connecting to: mongodb://{address}/{database}?compressors=disabled&"
            "gssapiServiceName=mongodb",
        ]
        session = mongo_connect(ctx, address, user=user, password=password)
        if session.outcome == "unreachable":
            return False, [
                *banner,
                f"Error: couldn't connect to server {address}, connection "
                "attempt failed: SocketException: Error connecting to "
                f"{address} :: caused by :: Connection refused :",
                "connect@src/mongo/shell/mongo.js:374:17",
                "exception: connect failed",
            ]
        if session.outcome == "tls_required":
            return False, [
                *banner,
                "Error: network error while attempting to run command "
                "'isMaster' on host '" + address + "'  :",
                "exception: connect failed",
            ]
        if session.outcome == "auth_failed":
            return False, [
                *banner,
                "Error: Authentication failed. :",
                "connect@src/mongo/shell/mongo.js:374:17",
                "exception: connect failed",
            ]
        output = [
            *banner,
            'Implicit session: session { "id" : UUID("'
            f'{uuid.UUID(int=ctx.seed("session") << 64, version=4)}") }}',
            "MongoDB server version: 4.4.6",
        ]
        assert session.data is not None
        authenticated_as = user if (session.server is not None and session.server.auth) else None
        try:
            output += run_shell_script(session.data, script, as_user=authenticated_as)
        except ShellError as exc:
            return False, [*output, str(exc)]
        return True, output


def mongod_factory(entry: ImageEntry, command: list[str], args: list[str]) -> Program | None:
    words = command + args
    first = words[0].rsplit("/", 1)[-1] if words else ""
    if first in ("mongo", "mongosh") or (first in ("sh", "bash") and words[1:]):
        return MongoShell(words)
    if command and command[0] not in ("mongod", "docker-entrypoint.sh"):
        return None
    return MongoDB(entry, args)
