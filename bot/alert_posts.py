"""Reading alerts out of Slack posts: Alertmanager's notifier (default and common custom
templates), PagerDuty's Slack app and Datadog monitor notifications; see `bot.alerts`, which
turns a `Recognised` post into an `Alert`.

Posts vary, so each recogniser keys on what its sender always writes (a `[FIRING:n]` title,
an `*Alert:*` line, a PagerDuty incident number, a Datadog `[Triggered]` bracket) and takes
the rest only when it is there.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from bot.slack_text import find_known, one_line, plain, urls

Source = Literal["alertmanager", "pagerduty", "datadog", "person"]
Status = Literal["firing", "resolved"]

# --- what a recogniser returns ---------------------------------------------------------------


@dataclass
class Recognised:
    """An alert read from a post; `identity` names the alert for its fingerprint."""

    source: Source
    title: str
    identity: tuple[str, ...]
    status: Status = "firing"
    summary: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    url: str | None = None
    alerts: int = 1
    starts_at: datetime | None = None


@dataclass
class _Post:
    lines: list[str]  # plain text, in reading order
    urls: list[str]
    sender: str  # username or bot name, lower case
    starts_at: datetime | None


_READ_SUBTYPES = {"bot_message", "thread_broadcast", "file_share"}
TITLE_CHARS = 150


def recognise(event: dict[str, Any], namespaces: Collection[str] = ()) -> Recognised | None:
    """The alert in a Slack `message` event, or None when it is not one."""
    if not isinstance(event, dict):
        return None
    if event.get("subtype") == "message_changed":
        new, old = event.get("message"), event.get("previous_message")
        found = recognise(new, namespaces) if isinstance(new, dict) else None
        before = recognise(old, namespaces) if isinstance(old, dict) else None
        # Slack edits a post for many reasons (a reply's count, an unfurl): only a new
        # alert or a new status in it is news.
        if found and before and (found.identity, found.status) == (before.identity, before.status):
            return None
        return found
    subtype = event.get("subtype")
    if subtype is not None and (not isinstance(subtype, str) or subtype not in _READ_SUBTYPES):
        return None  # joins, topic changes, deletions: never alerts
    if not (event.get("bot_id") or subtype == "bot_message"):
        return None  # alerts come from integrations; people ask by mentioning the bot
    thread, ts = event.get("thread_ts"), event.get("ts")
    if thread is not None and thread != ts and subtype != "thread_broadcast":
        return None  # an alert starts a thread; replies in one are the people working it
    post = _read(event)
    if not post.lines:
        return None
    for reader in (_alertmanager, _pagerduty, _datadog):
        found = reader(post, namespaces)
        if found is not None:
            if "namespace" not in found.labels and (
                ns := find_known("\n".join(post.lines), namespaces)
            ):
                found.labels["namespace"] = ns
            found.starts_at = post.starts_at
            found.title = one_line(found.title, TITLE_CHARS) or "Alert"
            return found
    return None


def _read(event: dict[str, Any]) -> _Post:
    chunks: list[str] = []
    raw = _str(event.get("text"))
    chunks.append(raw)
    for att in _dicts(event.get("attachments")):
        parts = [_str(att.get(k)) for k in ("pretext", "title", "text")]
        for fld in _dicts(att.get("fields")):
            name, value = _str(fld.get("title")), _str(fld.get("value"))
            parts.append(f"{name}: {value}" if name else value)
        parts.append(_str(att.get("footer")))
        if not any(parts):
            parts.append(_str(att.get("fallback")))
        chunks += parts
        raw += " " + _str(att.get("title_link"))
    for block in _dicts(event.get("blocks")):
        # Slack mirrors a person's `text` as rich_text: read it only when there is no text.
        if block.get("type") != "rich_text" or not _str(event.get("text")):
            chunks += list(_block_texts(block))
    text = "\n".join(c for c in dict.fromkeys(chunks) if c)
    raw += " " + text
    profile = event.get("bot_profile")
    sender = _str(event.get("username")) or (
        _str(profile.get("name")) if isinstance(profile, dict) else ""
    )
    lines = [line.strip() for line in plain(text).splitlines() if line.strip()]
    return _Post(lines, urls(raw), sender.lower(), _ts(event.get("ts")))


def _block_texts(block: dict[str, Any]) -> Iterator[str]:
    kind = block.get("type")
    if kind in ("section", "header", "markdown"):
        obj = block.get("text")
        yield _str(obj.get("text")) if isinstance(obj, dict) else _str(obj)
        for fld in _dicts(block.get("fields")):
            yield _str(fld.get("text"))
    elif kind == "context":
        for element in _dicts(block.get("elements")):
            yield _str(element.get("text"))
    elif kind == "rich_text":
        yield "".join(_rich(block.get("elements")))


def _rich(elements: object) -> Iterator[str]:
    for element in _dicts(elements):
        kind = element.get("type")
        if kind in ("text", "link"):
            yield _str(element.get("text")) or _str(element.get("url"))
        elif kind == "user":
            yield "@" + _str(element.get("user_id"))
        elif kind == "emoji":
            yield f":{_str(element.get('name'))}:"
        else:
            yield from _rich(element.get("elements"))
            if kind in ("rich_text_section", "rich_text_preformatted", "rich_text_quote"):
                yield "\n"


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def _dicts(value: object) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _ts(value: object) -> datetime | None:
    try:
        return datetime.fromtimestamp(float(_str(value)), UTC)
    except (ValueError, OverflowError, OSError):
        return None


# --- fields written as lines -----------------------------------------------------------------

_FIELD = re.compile(r"^[\s•\-]*\*?\s*([A-Za-z_][\w .]{0,40}?)\s*(?::\*|\*\s*:|:)(?:\s+(.*))?$")
_EQUALS = re.compile(r"^[\s•\-]*([A-Za-z_]\w{0,62})\s*=\s*\"?(.*?)\"?$")
# Template words, not labels, in `*Key:* value` lines.
_TEMPLATE_KEYS = {
    "alert", "alerts", "title", "summary", "description", "details", "started", "starts_at",
    "ended", "value", "runbook", "runbook_url", "graph", "source", "dashboard", "labels",
    "annotations", "message", "status", "firing", "resolved", "alerts_firing",
    "alerts_resolved", "note", "notes", "link", "urgency", "assigned", "service_name",
}  # fmt: skip


def _is_field(line: str) -> bool:
    return bool(_FIELD.match(line) or _EQUALS.match(line))


def _fields(lines: list[str]) -> Iterator[tuple[int, str, str]]:
    """(line index, key, value) of `Key: value` / `key = value` lines; a key alone on its
    line takes the next line as its value, as block fields `*Status:*\\nTriggered` do."""
    for i, line in enumerate(lines):
        match = _FIELD.match(line) or _EQUALS.match(line)
        if not match:
            continue
        key = match[1].strip().lower().replace(" ", "_")
        value = (match[2] or "").strip()
        if not value and i + 1 < len(lines) and not _is_field(lines[i + 1]):
            value = lines[i + 1]
        yield i, key, value.strip("`* ").strip()


# --- Alertmanager ----------------------------------------------------------------------------

_SUBJECT = re.compile(r"^\[(FIRING|RESOLVED)(?::(\d+))?[^\]]*\]\s*(.*)$", re.IGNORECASE)
_CAMEL = re.compile(r"[A-Z][a-z0-9]+(?:[A-Z][A-Za-z0-9]*)*|[A-Z][A-Za-z0-9]*[a-z][A-Za-z0-9]*")
_DNS = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_POD = re.compile(r"[a-z0-9][-a-z0-9]*-[a-z0-9]{5,10}-[a-z0-9]{5}|[a-z0-9][-a-z0-9]*-\d+")
SEVERITIES = {"critical", "warning", "info", "page"}


def _alertmanager(post: _Post, namespaces: Collection[str]) -> Recognised | None:
    subject = next((m for line in post.lines if (m := _SUBJECT.match(line))), None)
    status: Status = "resolved" if subject and subject[1].upper() == "RESOLVED" else "firing"
    url = post.urls[0] if post.urls else None
    custom = _custom_template(post, status, url)
    if custom is not None or subject is None:
        return custom
    # The default title: `[FIRING:n] <group values> (<other common values>)`.
    rest = subject[3].strip()
    group, _, extra = ("", "", rest[1:]) if rest.startswith("(") else rest.partition(" (")
    tokens = group.split() + extra.rstrip(")").split()
    labels: dict[str, str] = {}
    name = next((t for t in tokens if _CAMEL.fullmatch(t)), None)
    if name:
        labels["alertname"] = name
    known = [t for t in tokens if t in namespaces]
    guess = [t for t in group.split() if t != name and _DNS.fullmatch(t) and t not in SEVERITIES]
    if known:
        labels["namespace"] = known[0]
    elif not namespaces and len(guess) == 1 and not _POD.fullmatch(guess[0]):
        labels["namespace"] = guess[0]  # typical `group_by: [alertname, namespace]`
    unknown = []
    for token in tokens:
        if token in (name, labels.get("namespace")):
            continue
        if token.lower() in SEVERITIES and "severity" not in labels:
            labels["severity"] = token.lower()
        elif _POD.fullmatch(token) and "pod" not in labels:
            labels["pod"] = token
        else:
            unknown.append(token)
    title = name or group or "Alertmanager alert"
    if labels.get("namespace"):
        title += f" in {labels['namespace']}"
    body = [line for line in post.lines if not _SUBJECT.match(line) and line != url]
    if unknown:
        body.append(f"Other labels (names not given): {' '.join(unknown)}")
    return Recognised(
        source="alertmanager",
        title=title,
        identity=("alertmanager", " ".join(group.split()) or rest),
        status=status,
        summary="\n".join(body),
        labels=labels,
        url=url,
        alerts=int(subject[2]) if subject[2] else 1,
    )


def _custom_template(post: _Post, status: Status, url: str | None) -> Recognised | None:
    alerts: list[dict[str, str]] = []
    fields: dict[str, str] = {}
    for _, key, value in _fields(post.lines):
        # `range .Alerts` repeats the same lines: a second `Alert:` starts the next alert.
        if not alerts or (key in ("alert", "alertname") and key in alerts[-1]):
            alerts.append({})
        alerts[-1].setdefault(key, value)
        fields.setdefault(key, value)
    named = [a for a in alerts if a.get("alert") or a.get("alertname")]
    described = any(k in fields for k in ("description", "summary", "message"))
    if not named or not (described or any(k not in _TEMPLATE_KEYS for k in fields)):
        return None
    labels: dict[str, str] = {}
    for key in named[0]:
        value = named[0][key]
        common = all(a.get(key) == value for a in named)
        if common and key not in _TEMPLATE_KEYS and value and len(value) <= 200:
            labels[key] = value
    if status == "firing" and fields.get("status", "").lower() == "resolved":
        status = "resolved"
    heading = named[0].get("alert") or named[0].get("alertname", "")
    if "alertname" not in labels and (first := heading.split(" ")[0]) and _CAMEL.fullmatch(first):
        labels["alertname"] = first
    severity = next((w for w in re.findall(r"\w+", heading.lower()) if w in SEVERITIES), None)
    if severity and "severity" not in labels:
        labels["severity"] = severity
    summary = [fields.get(k, "") for k in ("summary", "description", "message")]
    title = heading.split(" - ")[0].strip() or labels.get("alertname", "Alert")
    if labels.get("namespace") and labels["namespace"] not in title:
        title += f" in {labels['namespace']}"
    return Recognised(
        source="alertmanager",
        title=title,
        identity=("alertmanager-text", *(f"{k}={v}" for k, v in sorted(labels.items())), title),
        status=status,
        summary="\n".join(dict.fromkeys(s for s in summary if s)),
        labels=labels,
        url=url,
        alerts=len(named),
    )


# --- PagerDuty -------------------------------------------------------------------------------

_INCIDENT = re.compile(r"\[?#(\d+)\]?:?\s*(.*)")
_PD_STATES = re.compile(r"\b(Triggered|Acknowledged|Resolved)\b", re.IGNORECASE)


def _pagerduty(post: _Post, namespaces: Collection[str]) -> Recognised | None:
    pd_urls = [u for u in post.urls if ".pagerduty.com/" in u]
    if "pagerduty" not in post.sender and not pd_urls:
        return None
    fields = {k: v for _, k, v in _fields(post.lines)}
    incident = next((m for line in post.lines if (m := _INCIDENT.search(line))), None)
    state = fields.get("status") or next(
        (m[1] for line in post.lines if (m := _PD_STATES.search(line))), ""
    )
    if incident is None or not state:
        return None
    number, title = incident[1], incident[2].strip(" *") or fields.get("title", "")
    labels = {"incident": number}
    if urgency := fields.get("urgency"):
        labels["urgency"] = urgency.lower()
    if service := fields.get("service") or fields.get("impacted_service"):
        # A PagerDuty service is named by people; only a cluster-style name is a service.
        labels["service" if _DNS.fullmatch(service) else "pagerduty_service"] = service
    link = next((u for u in pd_urls if "/incidents/" in u), pd_urls[0] if pd_urls else None)
    summary = f"PagerDuty incident #{number} {state.lower()}"
    if urgency:
        summary += f", {urgency.lower()} urgency"
    if service:
        summary += f", service {service}"
    return Recognised(
        source="pagerduty",
        title=f"#{number} {title}".strip(),
        identity=("pagerduty", number),
        status="resolved" if state.lower().startswith("resolved") else "firing",
        summary=summary + ".",
        labels=labels,
        url=link,
    )


# --- Datadog ---------------------------------------------------------------------------------

_DD_BRACKET = re.compile(r"^\[([^\]]+)\]\s*")
_DD_STATE = re.compile(
    r"(Re-)?(Triggered|Recovered(?: from \w+(?: \w+)?)?|Warn|No Data|Renotify)"
    r"(?: on \{?([^}\]]*)\}?)?$",
    re.IGNORECASE,
)
_DD_PRIORITY = re.compile(r"P[1-5]")
_DD_TAG = re.compile(
    r"(?<![\w.-])(kube_namespace|namespace|kube_service|service|env|kube_deployment|deployment"
    r"|pod_name|kube_cluster_name|cluster_name|team)[:=]([\w./-]+)"
)
_DD_KEYS = {"kube_namespace": "namespace", "kube_service": "service", "pod_name": "pod"}
_DD_KEYS |= {"kube_deployment": "deployment", "kube_cluster_name": "cluster"}
_DD_KEYS |= {"cluster_name": "cluster"}


def _datadog(post: _Post, namespaces: Collection[str]) -> Recognised | None:
    for i, line in enumerate(post.lines):
        state, scope, priority, rest = None, "", None, line
        while match := _DD_BRACKET.match(rest):
            inner = match[1].strip()
            if found := _DD_STATE.fullmatch(inner):
                state, scope = found[2].lower(), found[3] or ""
            elif _DD_PRIORITY.fullmatch(inner):
                priority = inner
            else:
                break
            rest = rest[match.end() :]
        if state is None:
            continue
        labels: dict[str, str] = {}
        for key, value in _DD_TAG.findall("\n".join([scope, *post.lines])):
            labels.setdefault(_DD_KEYS.get(key, key), value)
        if priority:
            labels["priority"] = priority
        if state == "warn":
            labels["severity"] = "warning"
        name = re.sub(r"\{([^{}]*)\}", r"\1", rest).strip()
        monitor = next((m[1] for u in post.urls if (m := re.search(r"/monitors/(\d+)", u))), "")
        link = next((u for u in post.urls if "datadoghq" in u or "/monitors/" in u), None)
        body = [x for x in post.lines[i + 1 :] if x.strip("% ") and x != link]
        return Recognised(
            source="datadog",
            title=name or "Datadog monitor",
            identity=("datadog", monitor or name, scope),
            status="resolved" if state.startswith("recovered") else "firing",
            summary="\n".join(body),
            labels=labels,
            url=link,
        )
    return None
