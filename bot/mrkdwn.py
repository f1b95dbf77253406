"""Slack mrkdwn made safely from untrusted text: escaped so it cannot mention anyone or make
a link, without ``` to open or close a code block, cut to a length with a note of what was
cut, or split into pieces that each stay within a limit and lose nothing."""

from __future__ import annotations

import re

SECTION_CHARS = 2_900  # a section's text; Slack allows 3,000
EXCERPT_CHARS = 1_000  # of an evidence excerpt or a command's output; the rest is cut

_USER_ID = re.compile(r"[UW][A-Z0-9]{2,30}")
_SAFE_URL = re.compile(r"https?://[^\s<>|]+")
MENTIONED = re.compile(r"<@([UW][A-Z0-9]+)>")


def escape(text: str) -> str:
    """`text` for Slack mrkdwn: `&`, `<`, `>` as entities, so it cannot mention or link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def prose(text: str) -> str:
    """Untrusted text for mrkdwn prose: escaped, and no ``` to open a code block."""
    return escape(_defenced(text))


def _escaped_prefix(text: str, limit: int) -> tuple[str, int]:
    """The longest start of `text` whose escaped form fits `limit`: (escaped, chars left)."""
    out: list[str] = []
    size = 0
    for i, char in enumerate(text):
        piece = escape(char)
        if size + len(piece) > limit:
            return "".join(out), len(text) - i
        out.append(piece)
        size += len(piece)
    return "".join(out), 0


def fit(text: str, limit: int) -> str:
    """`text` as prose (see `prose`), cut to `limit` characters with `…` when longer."""
    text = _defenced(text)
    fitted, left = _escaped_prefix(text, limit)
    return fitted if not left else _escaped_prefix(text, limit - 1)[0] + "…"


def line(text: str, limit: int) -> str:
    """`text` as prose on one line, whitespace collapsed, cut to `limit`."""
    return fit(" ".join(text.split()), limit)


def _defenced(text: str) -> str:
    # A ``` inside would close the block early; reversed primes look the same to a reader.
    return text.replace("```", "‵‵‵")


def inline(text: str, limit: int = 1_000) -> str:
    """`text` as an inline code span (one line, no backticks to end it early)."""
    return f"`{line(text.replace('`', 'ˋ'), limit)}`"


def code(text: str, limit: int = EXCERPT_CHARS) -> str:
    """`text` as one code block, cut to `limit` with a note outside the block saying so."""
    body, left = _escaped_prefix(_defenced(text.strip("\n")), limit - 2)
    block = _fenced(body)
    return block + (f"\n_… {left:,} more characters not shown_" if left else "")


def code_pieces(text: str, limit: int = SECTION_CHARS) -> list[str]:
    """`text` whole, as code blocks each at most `limit` long: split between lines (a line
    longer than a block across blocks), each piece closed, never a fence left open."""
    room = limit - 8
    segments: list[str] = []
    for row in escape(_defenced(text.strip("\n"))).split("\n"):
        while len(row) > room:
            cut = _entity_safe(row, room)
            segments.append(row[:cut])
            row = row[cut:]
        segments.append(row)
    pieces, current = [], segments[0]
    for segment in segments[1:]:
        if len(current) + 1 + len(segment) > room:
            pieces.append(current)
            current = segment
        else:
            current = f"{current}\n{segment}"
    return [_fenced(p) for p in [*pieces, current]]


def _fenced(body: str) -> str:
    # A backtick against a fence would merge with it; a space keeps them apart.
    if not body or body[0] == "`":
        body = " " + body
    return f"```{body} ```" if body[-1] == "`" else f"```{body}```"


def _entity_safe(text: str, cut: int) -> int:
    # Never split `&amp;` and its kin, or Slack shows the halves.
    start = text.rfind("&", max(0, cut - 4), cut)
    return start if start > 0 and ";" not in text[start:cut] else cut


def split(text: str, limit: int = SECTION_CHARS) -> list[str]:
    """Escaped prose in pieces of at most `limit`, split at lines, then words."""
    pieces: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit + 1)
        if cut <= limit // 2:
            cut = text.rfind(" ", 0, limit + 1)
        if cut <= limit // 2:
            cut = _entity_safe(text, limit)
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    return [*pieces, text] if text else pieces


def mention(user: str) -> str:
    """`<@U123>` for a Slack user id; anything else is shown, escaped, not mentioned."""
    return f"<@{user}>" if _USER_ID.fullmatch(user) else line(user, 100)


def link(url: str | None, label: str) -> str:
    """`<url|label>` for an http(s) URL that cannot break out of the link; else nothing."""
    if not url or not _SAFE_URL.fullmatch(url) or len(url) > 2_000:
        return ""
    return f"<{url.replace('&', '&amp;')}|{escape(label)}>"
