"""Parsing a kubectl command line the way kubectl (cobra/pflag) does, from argv, never a shell:
global flags before or after the command, `--flag=value`, `--flag value`, `-n value`,
`-nvalue`, `-n=value`, combined short booleans (`-Aw`), `--` ending the flags, and the
resource forms `TYPE NAME...`, `TYPE/NAME`, `TYPE1,TYPE2` and `TYPE.group`."""

from __future__ import annotations

from dataclasses import dataclass, field

from policies.grammar import COMMANDS, GLOBAL_BOOL, GLOBAL_VALUE, OPTIONAL_VALUE, SHORT

SUBCOMMANDS = {
    "rollout": {"status", "history", "restart", "undo", "pause", "resume"},
    "set": {"image", "env", "resources", "selector", "serviceaccount", "subject"},
    "auth": {"can-i", "whoami", "reconcile"},
    "top": {"pod", "pods", "po", "node", "nodes", "no"},
    "cluster-info": {"dump"},
}


# Commands whose arguments are names of one kind of object (`kubectl cordon NODE...`).
IMPLIED_KIND = {
    "cordon": "node",
    "uncordon": "node",
    "drain": "node",
    "logs": "pod",
    "exec": "pod",
}


class ParseError(ValueError):
    """The command line is not one we can read exactly (so it will be denied)."""


@dataclass(frozen=True)
class Resource:
    """One resource argument: its type as written (lowercased, without group) and name."""

    kind: str
    name: str | None = None


@dataclass(frozen=True)
class KubectlCommand:
    argv: tuple[str, ...]
    verb: str
    subverb: str | None
    args: tuple[str, ...]  # positionals after the command (and subcommand)
    flags: dict[str, list[str | None]] = field(default_factory=dict)
    # For exec: the command line after `--`, run in the container (not a resource argument).
    remote: tuple[str, ...] | None = None

    def flag(self, name: str) -> str | None:
        """The last value given for a flag ("" if never given, None if given bare)."""
        values = self.flags.get(name)
        return values[-1] if values else ""

    def has(self, name: str) -> bool:
        return name in self.flags

    def enabled(self, name: str) -> bool:
        """A boolean flag that is on (`--x`, `--x=true`)."""
        return self.has(name) and str(self.flag(name) or "true").lower() in ("true", "1")

    @property
    def namespace(self) -> str | None:
        value = self.flag("namespace")
        return value or None

    def resources(self) -> list[Resource]:
        """The resource arguments, in all of kubectl's spellings."""
        out: list[Resource] = []
        args = [a for a in self.args if "=" not in a and not a.endswith("-")]
        if not args:
            return out
        implied = IMPLIED_KIND.get(self.verb)
        if implied is not None and not any("/" in a for a in args):
            return [Resource(implied, name) for name in args]
        if any("/" in a for a in args):
            for arg in args:
                written, _, name = arg.partition("/")
                out += [Resource(_kind(k), name or None) for k in written.split(",") if k]
            return out
        kinds = [_kind(k) for k in args[0].split(",") if k]
        names = args[1:]
        for kind in kinds:
            out += [Resource(kind, n) for n in names] or [Resource(kind)]
        return out


def _kind(text: str) -> str:
    """`Deployments.v1.apps` -> `deployments`."""
    return text.strip().lower().split(".")[0]


def parse_kubectl(argv: list[str]) -> KubectlCommand:
    """Parse `kubectl ...` argv; raise ParseError for anything kubectl's grammar (as we
    know it) would not read the same way."""
    tokens = list(argv[1:])
    flags: dict[str, list[str | None]] = {}
    positionals: list[str] = []
    verb: str | None = None
    i = 0
    while i < len(tokens):
        token = tokens[i]
        i += 1
        if token == "--":
            positionals += tokens[i:]
            break
        if token.startswith("--"):
            name, eq, value = token[2:].partition("=")
            kind = _flag_kind(verb, name)
            if kind == "value" and name in OPTIONAL_VALUE and not eq:
                kind = "bool"
            if kind == "value" and not eq:
                if i >= len(tokens):
                    raise ParseError(f"flag --{name} needs a value")
                value, i = tokens[i], i + 1
            flags.setdefault(name, []).append(value if (eq or kind == "value") else None)
            continue
        if token.startswith("-") and len(token) > 1:
            i = _short(verb, token, tokens, i, flags)
            continue
        if verb is None:
            verb = token
            if verb not in COMMANDS:
                # A command we do not allow: its own flags need no reading to refuse it.
                positionals += tokens[i:]
                break
        else:
            positionals.append(token)
    if verb is None:
        raise ParseError("no command")
    subverb = None
    if verb in SUBCOMMANDS and positionals and positionals[0] in SUBCOMMANDS[verb]:
        subverb = positionals.pop(0)
    remote = None
    if verb == "exec" and "--" in tokens:
        remote = tuple(tokens[tokens.index("--") + 1 :])
        positionals = positionals[: len(positionals) - len(remote)]
    return KubectlCommand(tuple(argv), verb, subverb, tuple(positionals), flags, remote)


def _flag_kind(verb: str | None, name: str) -> str:
    """'value' or 'bool' for a long flag valid at this point, else ParseError."""
    if name in GLOBAL_VALUE:
        return "value"
    if name in GLOBAL_BOOL:
        return "bool"
    if verb is not None and verb in COMMANDS:
        values, bools, _ = COMMANDS[verb]
        if name in values:
            return "value"
        if name in bools:
            return "bool"
    where = f"kubectl {verb}" if verb else "kubectl"
    raise ParseError(f"unknown flag --{name} for {where}")


def _short(
    verb: str | None,
    token: str,
    tokens: list[str],
    i: int,
    flags: dict[str, list[str | None]],
) -> int:
    """Read one `-x...` token (pflag shorthand rules); return the next index."""
    shorts = dict(SHORT)
    if verb is not None and verb in COMMANDS:
        shorts |= COMMANDS[verb][2]
    body = token[1:]
    for j, char in enumerate(body):
        name = shorts.get(char)
        if name is None:
            raise ParseError(f"unknown shorthand flag -{char} for kubectl {verb or ''}".strip())
        if _flag_kind(verb, name) == "value":
            rest = body[j + 1 :]
            if rest:
                value = rest[1:] if rest.startswith("=") else rest
            elif i < len(tokens):
                value, i = tokens[i], i + 1
            else:
                raise ParseError(f"flag -{char} needs a value")
            flags.setdefault(name, []).append(value)
            return i
        if body[j + 1 : j + 2] == "=":
            flags.setdefault(name, []).append(body[j + 2 :])
            return i
        flags.setdefault(name, []).append(None)
    return i
