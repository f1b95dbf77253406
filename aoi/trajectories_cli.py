"""`aoi trajectories list|show|export`: the bot's saved threads (redacted), from its Redis,
as a table, one whole trajectory, or JSON lines for training."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from aoi.errors import fail
from aoi.settings import load_settings

if TYPE_CHECKING:
    from agents.models import Trajectory

app = typer.Typer(help="The bot's saved investigation threads.", no_args_is_help=True)
DURATION = re.compile(r"^(\d+)([smhd])$")


def _since(text: str | None) -> datetime | None:
    """`7d`, `12h`, `30m`, or an ISO date/time (UTC unless it says otherwise)."""
    if not text:
        return None
    match = DURATION.match(text.strip())
    if match:
        unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}[match.group(2)]
        return datetime.now(UTC) - timedelta(**{unit: int(match.group(1))})
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        fail(f"--since {text!r}: use a duration (7d, 12h, 30m) or an ISO date", 2)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _only(text: str) -> Any:
    if text not in ("all", "failed"):
        fail(f"--only {text!r}: use all or failed", 2)
    return text


async def _fetch(since: datetime | None, only: Any, one: str | None = None) -> list[Trajectory]:
    from bot.redis_store import RedisUnavailable, open_redis
    from bot.trajectories import TrajectoryStore

    settings = load_settings()
    try:
        handle = open_redis(settings.redis_url, settings.state_dir)
    except RedisUnavailable as exc:
        fail(str(exc), 1)
    try:
        store = TrajectoryStore(handle.client())
        if one is not None:
            found = await store.get(one)
            return [found] if found else []
        return await store.list(since, only)
    except OSError as exc:
        fail(f"cannot reach Redis at {handle.url}: {exc}", 1)
    finally:
        await handle.close()


def _title(trajectory: Trajectory) -> str:
    alert = trajectory.alert
    if isinstance(alert, dict):
        return str(alert.get("title") or "")
    return str(alert or "")


def write_export(
    found: list[Trajectory], out: Path, since: datetime | None, only: str
) -> dict[str, Any]:
    """`trajectories.jsonl` and its `manifest.json` (what the dataset builder checks)."""
    out.mkdir(parents=True, exist_ok=True)
    lines = "".join(t.to_json_line() for t in found)
    (out / "trajectories.jsonl").write_text(lines)
    manifest = {
        "source": "aoi bot (Redis)",
        "exported": datetime.now(UTC).isoformat(),
        "since": since.isoformat() if since else None,
        "only": only,
        "count": len(found),
        "sha256": hashlib.sha256(lines.encode()).hexdigest(),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


@app.command("list")
def list_(
    since: str | None = typer.Option(None, help="Only these: 7d, 12h, or an ISO date."),
    only: str = typer.Option("all", help="all, or failed (failed, rejected, 👎, corrected)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON line per trajectory."),
) -> None:
    """One line per saved trajectory, oldest first."""
    found = asyncio.run(_fetch(_since(since), _only(only)))
    for t in found:
        kinds = ",".join(f.kind for f in t.feedback) or "-"
        if as_json:
            row = {"id": t.id, "started": t.started.isoformat(), "agent": t.agent,
                   "alert": _title(t), "outcome": t.outcome, "feedback": kinds}  # fmt: skip
            typer.echo(json.dumps(row))
        else:
            typer.echo(
                f"{t.id}  {t.started:%Y-%m-%d %H:%M}  {t.agent:<5}  {t.outcome:<8}  "
                f"{kinds:<24}  {_title(t)[:60]}"
            )
    if not found and not as_json:
        typer.echo("no trajectories saved yet", err=True)


@app.command("show")
def show(
    trajectory_id: str = typer.Argument(..., help="A trajectory id (from `list`)."),
    as_json: bool = typer.Option(False, "--json", help="The whole trajectory as JSON."),
) -> None:
    """One trajectory: the alert, the finding, approvals, executions and feedback."""
    found = asyncio.run(_fetch(None, "all", trajectory_id))
    if not found:
        fail(f"no trajectory {trajectory_id}", 1)
    t = found[0]
    if as_json:
        typer.echo(t.model_dump_json(indent=2))
        return
    typer.echo(f"trajectory {t.id} ({t.agent} agent), outcome {t.outcome}")
    typer.echo(f"  alert: {_title(t)}")
    typer.echo(f"  {t.steps} tool calls over {len(t.iterations)} iterations, {t.tokens} tokens")
    if t.finding is not None:
        typer.echo(f"  finding: {', '.join(t.finding.faulty_components) or 'healthy'}; "
                   f"{t.finding.root_cause}")  # fmt: skip
    for a in t.approvals:
        typer.echo(f"  {'approved' if a.approved else 'rejected'} by {a.approver}: "
                   f"{' '.join(a.command)} {a.reason}".rstrip())  # fmt: skip
    for e in t.executions:
        typer.echo(f"  executed: {' '.join(e.command)} -> applied {e.applied}, "
                   f"verified {e.verified}")  # fmt: skip
    for f in t.feedback:
        typer.echo(f"  {f.kind} from {f.user}: {f.text}".rstrip(": "))


@app.command("export")
def export(
    out: Path = typer.Option(..., help="Directory to write trajectories.jsonl and manifest.json."),
    since: str | None = typer.Option(None, help="Only these: 7d, 12h, or an ISO date."),
    only: str = typer.Option("all", help="all, or failed (failed, rejected, 👎, corrected)."),
) -> None:
    """JSON lines for training, and a manifest of what was exported."""
    chosen = _only(only)
    when = _since(since)
    found = asyncio.run(_fetch(when, chosen))
    try:
        write_export(found, out, when, chosen)
    except OSError as exc:
        fail(f"cannot write to {out}: {exc.strerror}", 1)
    typer.echo(f"{len(found)} trajectories -> {out / 'trajectories.jsonl'}")
