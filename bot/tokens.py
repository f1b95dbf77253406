"""The value of an Approve or Reject button: which fix of which incident, a digest of exactly
what the fix runs, and an expiry, signed with the server's HMAC key. Slack hands the value
back untouched on a click; anyone able to post an interaction (a forged request that got
past Slack's signature, a replayed old payload, a button copied from another thread) still
cannot name another command, another incident, or a later time."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Literal

from agents.models import ProposedAction

Decision = Literal["approve", "reject"]


class TokenError(ValueError):
    """A button value that is not ours, is altered, or has expired; says which."""


@dataclass(frozen=True)
class ActionToken:
    incident: str
    index: int
    decision: Decision
    digest: str  # of the fix as proposed: command, manifest, runbook
    expires: int  # unix seconds


def fix_digest(action: ProposedAction) -> str:
    """What the button commits to: the exact argv and what travels with it."""
    what = {
        "command": action.command,
        "manifest": action.manifest,
        "runbook": action.runbook.model_dump(mode="json") if action.runbook else None,
    }
    return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()[:32]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(token: ActionToken, secret: str) -> str:
    body = _b64(
        json.dumps(
            [token.incident, token.index, token.decision, token.digest, token.expires],
            separators=(",", ":"),
        ).encode()
    )
    mac = hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest()
    return f"{body}.{_b64(mac)}"


def verify(value: str, secret: str, now: float | None = None) -> ActionToken:
    """The token a button value carries, if it is ours, intact and unexpired."""
    body, dot, mac = (value or "").partition(".")
    if not dot or not body or not mac:
        raise TokenError("this button was not made by AOI")
    expected = hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest()
    try:
        given = _unb64(mac)
    except ValueError:
        raise TokenError("this button's signature is malformed") from None
    if not hmac.compare_digest(expected, given):
        raise TokenError("this button's signature does not match: it was altered or forged")
    try:
        incident, index, decision, digest, expires = json.loads(_unb64(body))
        token = ActionToken(str(incident), int(index), decision, str(digest), int(expires))
    except (ValueError, TypeError):
        raise TokenError("this button's value is malformed") from None
    if token.decision not in ("approve", "reject"):
        raise TokenError("this button's decision is unknown")
    if (now if now is not None else time.time()) >= token.expires:
        stamp = time.strftime("%H:%M UTC", time.gmtime(token.expires))
        raise TokenError(f"this button expired at {stamp}; mention me in the thread to re-check")
    return token
