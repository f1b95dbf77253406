"""The `aoi` command line: one typer app; each area registers its commands here."""

from __future__ import annotations

import logging

import typer

from aoi import (
    bot_cli,
    demo,
    diagnose_cli,
    eval_cli,
    llm_cli,
    policy_cli,
    sim_cli,
    train_cli,
    trajectories_cli,
)
from aoi.settings import SettingsError, load_settings

app = typer.Typer(
    name="aoi",
    help="AOI: a self-hosted SRE ChatOps bot that diagnoses read-only, fixes only with "
    "approval, and learns from its failures.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(sim_cli.app, name="sim")
app.add_typer(policy_cli.app, name="policy")
app.add_typer(llm_cli.app, name="llm")
app.add_typer(eval_cli.app, name="eval")
app.add_typer(trajectories_cli.app, name="trajectories")
app.add_typer(train_cli.app, name="train")
app.command("diagnose")(diagnose_cli.diagnose)
app.command("demo")(demo.demo)
app.command("bot")(bot_cli.bot)


@app.callback()
def _configure(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log debug output to stderr."),
) -> None:
    try:
        settings = load_settings()
    except SettingsError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    level = logging.DEBUG if verbose else getattr(logging, settings.log_level.upper(), logging.INFO)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    if not verbose:  # one line per model request is noise next to the progress lines
        for chatty in ("httpx", "httpx2", "openai"):
            logging.getLogger(chatty).setLevel(logging.WARNING)


def main() -> None:
    app()
