"""Reading Slack text: mrkdwn read aloud, one-line titles, sentences to join, link-safe
URLs and the first known name a text mentions. Used by the alert recognisers (`bot.alert_posts`)
and by `bot.alerts`."""

from __future__ import annotations

import re
from collections.abc import Collection

_LINK = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")
_URL = re.compile(r"https?://[^\s<>|\"']+")


def plain(text: str) -> str:
    """Slack markup as read aloud: `<@U1>` -> `@U1`, `<url|label>` -> `label`, entities out."""

    def link(match: re.Match[str]) -> str:
        target, label = match[1], match[2]
        if label:
            return label
        return "@" + target[1:].removeprefix("subteam^") if target[:1] in "@!#" else target

    return _LINK.sub(link, text).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def urls(text: str) -> list[str]:
    """The http(s) URLs a Slack text links (`<url|label>`) or shows, in order, once each."""
    linked = [m[1] for m in _LINK.finditer(text) if _URL.fullmatch(m[1])]
    return list(dict.fromkeys(linked + _URL.findall(plain(text))))


def one_line(text: str, limit: int) -> str:
    """`text` on one line, whitespace collapsed, cut at a word with `…` past `limit`."""
    line = " ".join(text.split())
    if len(line) <= limit:
        return line
    cut = line[: limit - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut[limit // 2 :] else cut) + "…"


def sentence(text: str) -> str:
    """`text` stripped and ending as a sentence does, so annotations can be joined."""
    text = text.strip()
    return text if not text or text[-1] in ".!?:;" else text + "."


def safe_url(value: object) -> str | None:
    """`value` if it is an http(s) URL that cannot break out of a Slack link, else None."""
    if not isinstance(value, str) or not _URL.fullmatch(value) or len(value) > 2000:
        return None
    return value


def find_known(text: str, names: Collection[str]) -> str | None:
    """The first of `names` that `text` mentions as a whole word (hyphens count as letters)."""
    best: tuple[int, str] | None = None
    for name in names:
        if not name:
            continue
        match = re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text)
        if match and (best is None or match.start() < best[0]):
            best = (match.start(), name)
    return best[1] if best else None
