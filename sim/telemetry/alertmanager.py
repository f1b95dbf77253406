"""What Alertmanager sends for a group of alerts: the webhook (version 4) payload, and the
Slack message its default templates produce (title `[FIRING:n] ...`, empty text, a link to
Alertmanager). Grouped by alertname and namespace, as a typical route does."""

from __future__ import annotations

import urllib.parse
from typing import Any

from sim.telemetry.alerts import Alert

ALERTMANAGER_URL = "http://alertmanager.monitoring.svc:9093"
PROMETHEUS_URL = "http://prometheus.monitoring.svc:9090"
GROUP_BY = ("alertname", "namespace")
RECEIVER = "aoi"
ZERO_TIME = "0001-01-01T00:00:00Z"
_FNV_OFFSET = 14695981039346656037
_FNV_PRIME = 1099511628211
_SEPARATOR = 0xFF


def fingerprint(labels: dict[str, str]) -> str:
    """Prometheus's label-set fingerprint (FNV-1a 64 over sorted names and values)."""
    h = _FNV_OFFSET
    for name in sorted(labels):
        for part in (name, labels[name]):
            for byte in part.encode():
                h = ((h ^ byte) * _FNV_PRIME) % 2**64
            h = ((h ^ _SEPARATOR) * _FNV_PRIME) % 2**64
    return f"{h:016x}"


def _stamp(alert: Alert) -> str:
    return alert.active_at.isoformat().replace("+00:00", "Z")


def groups(alerts: list[Alert]) -> list[list[Alert]]:
    """Firing alerts grouped by GROUP_BY, most severe group first."""
    out: dict[tuple[str, ...], list[Alert]] = {}
    for alert in alerts:
        if alert.state == "firing":
            key = tuple(alert.labels.get(name, "") for name in GROUP_BY)
            out.setdefault(key, []).append(alert)
    return list(out.values())


def _common(maps: list[dict[str, str]]) -> dict[str, str]:
    first = maps[0]
    return {k: v for k, v in first.items() if all(m.get(k) == v for m in maps[1:])}


def webhook(group: list[Alert]) -> dict[str, Any]:
    """The JSON body Alertmanager POSTs to a webhook receiver (version 4)."""
    group_labels = {n: group[0].labels[n] for n in GROUP_BY if n in group[0].labels}
    pairs = ",".join(f'{k}="{v}"' for k, v in sorted(group_labels.items()))
    return {
        "receiver": RECEIVER,
        "status": "firing",
        "alerts": [
            {
                "status": "firing",
                "labels": alert.labels,
                "annotations": alert.annotations,
                "startsAt": _stamp(alert),
                "endsAt": ZERO_TIME,
                "generatorURL": f"{PROMETHEUS_URL}/graph?"
                + urllib.parse.urlencode({"g0.expr": alert.rule.expr, "g0.tab": "1"}),
                "fingerprint": fingerprint(alert.labels),
            }
            for alert in group
        ],
        "groupLabels": group_labels,
        "commonLabels": _common([a.labels for a in group]),
        "commonAnnotations": _common([a.annotations for a in group]),
        "externalURL": ALERTMANAGER_URL,
        "version": "4",
        "groupKey": f"{{}}:{{{pairs}}}",
        "truncatedAlerts": 0,
    }


def slack_title(payload: dict[str, Any]) -> str:
    """Alertmanager's default `__subject`: [FIRING:n] group values (other common values)."""
    status = payload["status"]
    firing = sum(1 for a in payload["alerts"] if a["status"] == "firing")
    head = f"[{status.upper()}{f':{firing}' if status == 'firing' else ''}]"
    group = payload["groupLabels"]
    values = " ".join(group[k] for k in sorted(group))
    rest = {k: v for k, v in payload["commonLabels"].items() if k not in group}
    extra = f"({' '.join(rest[k] for k in sorted(rest))})" if rest else ""
    return f"{head} {values} {extra}"


def slack(payload: dict[str, Any], channel: str = "#incidents") -> dict[str, Any]:
    """The message Alertmanager's Slack notifier posts with the default templates."""
    title = slack_title(payload)
    link = f"{payload['externalURL']}/#/alerts?receiver={RECEIVER}"
    return {
        "channel": channel,
        "username": "AlertManager",
        "attachments": [
            {
                "title": title,
                "title_link": link,
                "pretext": "",
                "text": "",
                "fallback": f"{title} | {link}",
                "callback_id": "",
                "footer": "",
                "color": "danger" if payload["status"] == "firing" else "good",
                "mrkdwn_in": ["fallback", "pretext", "text"],
            }
        ],
    }
