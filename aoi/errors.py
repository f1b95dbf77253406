"""How the CLI reports a user's mistake: one clear line on stderr and a non-zero exit."""

from __future__ import annotations

import sys
from typing import NoReturn

import typer


def fail(message: str, code: int = 2) -> NoReturn:
    """Print `error: message` to stderr and exit with `code` (2: bad usage or input)."""
    print(f"error: {message}", file=sys.stderr)
    raise typer.Exit(code)
