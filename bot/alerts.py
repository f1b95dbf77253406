"""Intake: what arrives (an Alertmanager webhook, a post in an incident channel, a person's
question) turned into one `Alert`, the unit the bot de-duplicates and investigates.

Recognised:

- `from_webhook`: Alertmanager's webhook body, version 4, one Alert per notification group.
- `from_slack_message`, a post by an integration (`bot_id` or `bot_message`; people ask by
  mentioning the bot). Thread replies and join/topic/deletion events are never alerts; an
  edit (`message_changed`) counts only when it shows a new alert or a new status, as when
  PagerDuty marks its post resolved. Recognised posts:
  - Alertmanager's Slack notifier with the default templates: an attachment titled
    `[FIRING:n] <group label values> (<other common label values>)` or `[RESOLVED] ...`.
    Label names are lost there; the alertname (the CamelCase value), the namespace (a value
    in the caller's known `namespaces`, else the one DNS-style group value beside the
    alertname), severities (critical, warning, info, page) and pod names (`x-<hash>-<id>`)
    are recovered, any other value is kept in the summary.
  - Alertmanager with a custom template that writes fields and labels as lines:
    `*Alert:* ...`, `*Description:* ...`, `• *namespace:* `x``, ` - namespace = x`,
    `namespace=x` (Prometheus's own examples and the default text alert list).
  - PagerDuty's Slack app: a post by PagerDuty (or linking to pagerduty.com) with an
    incident number `#1234`, its title, Triggered/Acknowledged/Resolved, urgency and service.
  - Datadog monitor notifications: `[Triggered] [P1] Name`, `[Triggered on {scope}] Name`,
    `[Recovered] ...`, `[Warn] ...`, with tags such as `kube_namespace:x`, `service:x`.
  Text is read from `text`, attachments (pretext, title, text, fields, footer) and blocks
  (header, section text and fields, context, rich text).
- `from_request`: a person's `@AOI` mention, with the namespace and service it names.

Everything here is untrusted text: it only ever becomes data (labels, a title, a prompt).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from bot import alert_posts as posts
from bot import slack_text
from bot.alert_posts import TITLE_CHARS, Source, Status

_PROMPT_CHARS = 4000


class AlertParseError(ValueError):
    """Input that cannot be an alert, with what is wrong and where."""


class Alert(BaseModel):
    """One alert group (or one person's request) as the bot investigates it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: Source
    status: Status = "firing"
    title: str
    summary: str = ""
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    fingerprint: str
    starts_at: datetime | None = None
    url: str | None = None
    alerts: int = 1
    requester: str | None = None

    @property
    def namespace(self) -> str | None:
        return self.labels.get("namespace")

    @property
    def service(self) -> str | None:
        # Rules label by what their metric names: a service, or a workload behind one.
        for key in ("service", "deployment", "statefulset", "daemonset"):
            if self.labels.get(key):
                return self.labels[key]
        return None

    @property
    def severity(self) -> str | None:
        # PagerDuty speaks of urgency and Datadog of priority where Prometheus says severity.
        for key in ("severity", "urgency", "priority"):
            if self.labels.get(key):
                return self.labels[key]
        return None

    @property
    def alertname(self) -> str | None:
        return self.labels.get("alertname")

    def prompt(self) -> str:
        """The alert as a model should read it: one paragraph, most telling facts first."""
        if self.source == "person":
            scope = ", ".join(f"{k} {v}" for k, v in self._scope())
            asked = f"An engineer asked: {self.summary or self.title}"
            return slack_text.one_line(f"{asked} ({scope})" if scope else asked, _PROMPT_CHARS)
        head = self.alertname or self.title
        if self.severity:
            head += f" ({self.severity})"
        if self.status == "resolved":
            head = f"Resolved: {head}"
        if self.namespace:
            head += f" in {self.namespace}"
        head += "".join(f", {k} {v}" for k, v in self._scope() if k != "namespace")
        if self.alerts > 1:
            head += f" [{self.alerts} alerts]"
        body = self.summary
        if not body and self.alertname and not self.title.startswith(self.alertname):
            body = self.title  # a title of its own says more than the alertname
        return slack_text.one_line(f"{head}: {body}" if body else head, _PROMPT_CHARS)

    def _scope(self) -> list[tuple[str, str]]:
        keys = ("namespace", "service", "deployment", "statefulset", "pod", "container")
        return [(k, self.labels[k]) for k in keys if self.labels.get(k)]


def fingerprint(*parts: str) -> str:
    """A short stable id of what `parts` name (sha256, 16 hex digits)."""
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]


# --- Alertmanager webhook --------------------------------------------------------------------


def from_webhook(payload: object) -> Alert:
    """The Alert of one Alertmanager webhook body (version 4); AlertParseError if malformed."""
    if not isinstance(payload, Mapping):
        raise AlertParseError(
            f"an Alertmanager webhook body is a JSON object, not {_kind(payload)}"
        )
    version = payload.get("version", "4")
    if version not in ("4", 4):
        raise AlertParseError(
            f"unsupported webhook version {version!r}: AOI reads Alertmanager's version 4"
        )
    alerts = payload.get("alerts")
    if not isinstance(alerts, list) or not alerts:
        raise AlertParseError("the webhook body has no alerts: 'alerts' must be a non-empty list")
    members = [_member(a, f"alerts[{i}]") for i, a in enumerate(alerts)]
    group = _labels(payload.get("groupLabels"), "groupLabels")
    common = _labels(payload.get("commonLabels"), "commonLabels")
    annotations = _labels(payload.get("commonAnnotations"), "commonAnnotations")
    labels = {**group, **common}
    status = payload.get("status")
    if status is None:
        status = "firing" if any(m.status == "firing" for m in members) else "resolved"
    if status not in ("firing", "resolved"):
        raise AlertParseError(f"status must be 'firing' or 'resolved', not {status!r}")
    truncated = payload.get("truncatedAlerts", 0)
    if not isinstance(truncated, int) or isinstance(truncated, bool) or truncated < 0:
        raise AlertParseError(f"truncatedAlerts must be a count, not {truncated!r}")
    count = len(members) + truncated
    starts = [m.starts_at for m in members if m.starts_at is not None]
    url = next((m.url for m in members if m.url), None) or slack_text.safe_url(
        payload.get("externalURL")
    )
    return Alert(
        source="alertmanager",
        status=status,
        title=_webhook_title(labels, group, annotations or members[0].annotations, count),
        summary=_webhook_summary(annotations, members, common),
        labels=labels,
        annotations=annotations,
        fingerprint=_webhook_fingerprint(payload.get("groupKey"), group, members),
        starts_at=min(starts) if starts else None,
        url=url,
        alerts=count,
    )


@dataclass
class _Member:
    status: str
    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: datetime | None
    url: str | None
    fingerprint: str


def _member(alert: object, where: str) -> _Member:
    if not isinstance(alert, Mapping):
        raise AlertParseError(f"{where} must be an object, not {_kind(alert)}")
    status = alert.get("status", "firing")
    if status not in ("firing", "resolved"):
        raise AlertParseError(f"{where}.status must be 'firing' or 'resolved', not {status!r}")
    labels = _labels(alert.get("labels"), f"{where}.labels")
    starts_at = _timestamp(alert.get("startsAt"), f"{where}.startsAt")
    _timestamp(alert.get("endsAt"), f"{where}.endsAt")
    fp = alert.get("fingerprint")
    return _Member(
        status=status,
        labels=labels,
        annotations=_labels(alert.get("annotations"), f"{where}.annotations"),
        starts_at=starts_at,
        url=slack_text.safe_url(alert.get("generatorURL")),
        fingerprint=fp if isinstance(fp, str) and fp else repr(sorted(labels.items())),
    )


def _labels(value: object, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise AlertParseError(f"{where} must be an object of strings, not {_kind(value)}")
    out: dict[str, str] = {}
    for key, item in value.items():
        if not isinstance(item, str):
            raise AlertParseError(f"{where}.{key} must be a string, not {_kind(item)}")
        out[str(key)] = item
    return out


def _timestamp(value: object, where: str) -> datetime | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise AlertParseError(f"{where} must be an RFC 3339 time string, not {_kind(value)}")
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise AlertParseError(f"{where} is not an RFC 3339 time: {value[:60]!r}") from None
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    # Go's zero time is how Alertmanager says "not set" (an endsAt while firing).
    return None if when.year <= 1 else when


def _webhook_title(
    labels: dict[str, str], group: dict[str, str], annotations: dict[str, str], count: int
) -> str:
    name = labels.get("alertname")
    if name is None:
        name = " ".join(group[k] for k in sorted(group)) or annotations.get("summary", "")
    title = name or "Alertmanager alert"
    if labels.get("namespace") and labels["namespace"] not in title:
        title += f" in {labels['namespace']}"
    scope = [labels[k] for k in ("service", "deployment", "pod") if labels.get(k)]
    if scope:
        title += f" ({scope[0]})"
    if count > 1:
        title += f" · {count} alerts"
    return slack_text.one_line(title, TITLE_CHARS)


def _webhook_summary(
    common: dict[str, str], members: list[_Member], common_labels: dict[str, str]
) -> str:
    def prose(annotations: dict[str, str]) -> str:
        parts = [annotations.get(k, "") for k in ("summary", "description", "message")]
        return " ".join(slack_text.sentence(p) for p in dict.fromkeys(parts) if p.strip())

    shared = prose(common) or prose(members[0].annotations)
    if len(members) == 1:
        return shared
    # The alerts of a group differ in what their labels name; say which is which.
    lines = [shared] if shared else []
    for member in members[:10]:
        own = {k: v for k, v in member.labels.items() if k not in common_labels}
        who = ", ".join(f"{k}={v}" for k, v in sorted(own.items())) or "alert"
        said = prose({k: v for k, v in member.annotations.items() if common.get(k) != v})
        lines.append(f"{who} ({member.status}){': ' + said if said else ''}")
    if len(members) > 10:
        lines.append(f"and {len(members) - 10} more")
    return "\n".join(lines)


def _webhook_fingerprint(group_key: object, group: dict[str, str], members: list[_Member]) -> str:
    if group:
        # The group's label values in name order are what its default Slack title shows
        # too, so the same group arriving by webhook and by Slack has one fingerprint.
        return fingerprint(
            "alertmanager", " ".join(" ".join(group[k] for k in sorted(group)).split())
        )
    if isinstance(group_key, str) and group_key:
        return fingerprint("alertmanager-group", group_key)
    return fingerprint("alertmanager-alerts", *sorted(m.fingerprint for m in members))


def _kind(value: object) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    return names.get(type(value), "a number" if isinstance(value, int | float) else "a value")


# --- Slack posts and requests ----------------------------------------------------------------


def from_slack_message(event: dict[str, Any], namespaces: Collection[str] = ()) -> Alert | None:
    """The Alert a channel message carries (see the module docstring), or None for chat."""
    found = posts.recognise(event, namespaces)
    if found is None:
        return None
    return Alert(
        source=found.source,
        status=found.status,
        title=found.title,
        summary=found.summary,
        labels=found.labels,
        fingerprint=fingerprint(*found.identity),
        starts_at=found.starts_at,
        url=found.url,
        alerts=max(found.alerts, 1),
    )


_MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")
_NAMED = re.compile(
    r"(?i:\b(service|svc|deployment|deploy|statefulset|sts|pod|po))[/ :=]+([a-z0-9][a-z0-9-]*)"
)
_NAMED_BEFORE = re.compile(r"\b([a-z0-9][a-z0-9-]*) (?i:(service|deployment))\b")
_NAMESPACE = re.compile(r"(?:\b(?i:namespace|ns)[/ :=]+|(?<!\S)-n )([a-z0-9][a-z0-9-]*)")
_KINDS = {"svc": "service", "deploy": "deployment", "sts": "statefulset", "po": "pod"}
# Words that follow "service" in a sentence without naming one ("the service is down").
_NOT_NAMES = {
    "a", "an", "the", "this", "that", "its", "is", "are", "was", "were", "be", "been", "has",
    "have", "had", "it", "in", "on", "of", "for", "to", "from", "with", "and", "or", "not",
    "no", "all", "any", "some", "my", "our", "your", "their", "which", "what", "why", "how",
    "when", "where", "seems", "looks", "keeps", "kept", "down", "up", "failing", "broken",
    "slow", "dead", "again", "now", "still", "just", "also", "mesh", "account", "accounts",
}  # fmt: skip


def from_request(text: str, user: str, namespaces: Collection[str] = ()) -> Alert:
    """A person's question to the bot as an Alert; AlertParseError if it asks nothing."""
    raw = slack_text.plain(_MENTION.sub(" ", text)).strip()
    lines = [line.strip() for line in raw.splitlines() if line.strip()]
    if not lines:
        raise AlertParseError("the request is empty: say what to investigate")
    title = slack_text.one_line(lines[0], TITLE_CHARS)
    body = "\n".join(lines)
    labels: dict[str, str] = {}
    if found := _NAMESPACE.search(body):
        labels["namespace"] = found[1]
    elif found_ns := slack_text.find_known(body, namespaces):
        labels["namespace"] = found_ns
    for match in [*_NAMED.finditer(body), *_NAMED_BEFORE.finditer(body)]:
        kind, name = (match[1], match[2]) if match.re is _NAMED else (match[2], match[1])
        kind = _KINDS.get(kind.lower(), kind.lower())
        if name not in _NOT_NAMES and name != labels.get("namespace"):
            labels.setdefault(kind, name)
    normal = " ".join(body.lower().split())
    return Alert(
        source="person",
        title=title,
        summary=body if body != title else "",
        labels=labels,
        fingerprint=fingerprint("person", user, normal),
        requester=user,
    )
