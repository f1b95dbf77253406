"""Slack's request signing (v0): how the app knows a request really comes from Slack."""

from __future__ import annotations

import hashlib
import hmac


def signature(secret: str, timestamp: int | str, body: bytes) -> str:
    """`v0=hex(HMAC_SHA256(secret, "v0:{timestamp}:{body}"))`."""
    base = b"v0:" + str(timestamp).encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(secret: str, timestamp: int, body: bytes, content_type: str) -> dict[str, str]:
    """The headers Slack sends with every request to an app's Request URL."""
    return {
        "Content-Type": content_type,
        "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        "X-Slack-Request-Timestamp": str(timestamp),
        "X-Slack-Signature": signature(secret, timestamp, body),
    }
