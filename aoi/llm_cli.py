"""`aoi llm serve`: the local model server (vLLM on CPU, SmolLM2-135M) for trying the `llm`
agent on a laptop. Production runs its own vLLM and sets AOI_LLM_BASE_URL."""

from __future__ import annotations

import json
import signal
import time
from types import FrameType

import typer

from aoi.errors import fail

app = typer.Typer(help="The local model server.", no_args_is_help=True)


@app.command()
def serve(
    as_json: bool = typer.Option(False, "--json", help="Print one JSON line once ready."),
) -> None:
    """Start vLLM with SmolLM2-135M on a free port; print its base URL; serve until Ctrl-C."""
    from aoi.local_llm import LocalModelError, local_model_server

    # A service manager, `kill` or a closed terminal stops us with a signal, not Ctrl-C: it
    # must still unwind through local_model_server, which stops vLLM's engine processes
    # (left running, they hold the port and gigabytes of memory).
    for stop in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(stop, _interrupt)
    typer.secho("starting vLLM on CPU (about 30 s)…", err=True)
    try:
        with local_model_server() as url:
            if as_json:
                typer.echo(json.dumps({"base_url": url}))
            else:
                typer.echo(f"ready: AOI_LLM_BASE_URL={url}")
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        typer.secho("stopped", err=True)
    except LocalModelError as exc:
        fail(str(exc), 1)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt
