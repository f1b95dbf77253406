"""`aoi policy`: check commands against the policy, and redact text."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import typer

from aoi.errors import fail
from policies import ROLES, Policy, PolicyError, Role, classify_command, load_policy
from policies.redaction import redact

app = typer.Typer(help="Safety policies: command checks and redaction.", no_args_is_help=True)


def _policy(path: Path | None) -> Policy:
    from aoi.settings import load_settings

    try:
        return load_policy(path or load_settings().policy)
    except PolicyError as exc:
        fail(f"invalid policy: {exc}", 1)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def check(
    argv: list[str] = typer.Argument(None, help="The command, after --."),
    role: str = typer.Option("probe", help="observer, probe or executor."),
    policy_file: Path | None = typer.Option(
        None, "--policy", help="Policy YAML (default: AOI_POLICY, else the bundled one)."
    ),
    channel: str | None = typer.Option(None, help="Incident channel ID (namespace rules)."),
    batch: Path | None = typer.Option(
        None, help="One shell-quoted command per line; prints one JSON line each."
    ),
) -> None:
    """Print the decision for a command as one JSON object: allow, needs_approval or deny."""
    if role not in ROLES:
        fail(f"unknown role {role!r}; use {', '.join(ROLES)}", 2)
    who: Role = role
    policy = _policy(policy_file)
    if batch is not None:
        try:
            lines = batch.read_text().splitlines()
        except OSError as exc:
            fail(f"cannot read {batch}: {exc.strerror}", 1)
        for line in lines:
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            try:
                words = shlex.split(line)
            except ValueError as exc:
                typer.echo(json.dumps(_unparsable(line, role, str(exc))))
                continue
            decision = classify_command(words, who, policy, channel)
            typer.echo(json.dumps(decision.as_json()))
        return
    if not argv:
        fail("give the command after --, e.g. aoi policy check -- kubectl get pods", 2)
    decision = classify_command(argv, who, policy, channel)
    typer.echo(json.dumps(decision.as_json()))


def _unparsable(line: str, role: str, why: str) -> dict[str, object]:
    return {
        "command": line,
        "role": role,
        "decision": "deny",
        "class": "forbidden",
        "reason": f"cannot split the command: {why}",
        "namespace": None,
        "action_class": None,
    }


@app.command("redact")
def redact_(
    source: str = typer.Argument("-", help="A file, or - for standard input."),
    policy_file: Path | None = typer.Option(None, "--policy", help="Policy YAML (default: ours)."),
) -> None:
    """Print the text with secrets and personal data masked; a summary goes to stderr."""
    policy = _policy(policy_file)
    if source == "-":
        text = sys.stdin.read()
    else:
        try:
            text = Path(source).read_text(errors="replace")
        except OSError as exc:
            fail(f"cannot read {source}: {exc.strerror}", 1)
    result = redact(text, policy.redaction)
    typer.echo(result.text, nl=False)
    summary = ", ".join(f"{kind} {n}" for kind, n in sorted(result.counts.items())) or "none"
    typer.echo(f"redacted {result.total}: {summary}", err=True)
