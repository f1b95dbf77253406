"""Intake: Alertmanager webhooks, the posts alerting tools make in Slack, and people's
requests, each read into an Alert; real-shaped payloads, malformed ones, and arbitrary JSON."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.alerts import Alert, AlertParseError, from_request, from_slack_message, from_webhook
from sim.telemetry import alertmanager

NS = "test-hotel-reservation"
GROUP_KEY = '{}:{alertname="ServiceHighErrorRate", namespace="test-hotel-reservation"}'


def _alert(service: str, share: str, starts: str, status: str = "firing") -> dict[str, Any]:
    labels = {
        "alertname": "ServiceHighErrorRate",
        "namespace": NS,
        "service": service,
        "severity": "critical",
    }
    return {
        "status": status,
        "labels": labels,
        "annotations": {
            "summary": "Service is failing requests.",
            "description": f"{share} of HTTP requests to {service} in {NS} fail with 5xx.",
        },
        "startsAt": starts,
        "endsAt": "0001-01-01T00:00:00Z" if status == "firing" else "2026-01-13T12:20:00Z",
        "generatorURL": f"http://prometheus.monitoring.svc:9090/graph?g0.expr=x&g0.tab=1#{service}",
        "fingerprint": alertmanager.fingerprint(labels),
    }


def group_webhook(status: str = "firing") -> dict[str, Any]:
    """Two alerts of one group, as Alertmanager 0.27 posts them."""
    return {
        "receiver": "aoi",
        "status": status,
        "alerts": [
            _alert("frontend", "25%", "2026-01-13T11:58:03.512345678Z", status),
            _alert("search", "9.1%", "2026-01-13T11:57:33Z", status),
        ],
        "groupLabels": {"alertname": "ServiceHighErrorRate", "namespace": NS},
        "commonLabels": {
            "alertname": "ServiceHighErrorRate",
            "namespace": NS,
            "severity": "critical",
        },
        "commonAnnotations": {"summary": "Service is failing requests."},
        "externalURL": "http://alertmanager.monitoring.svc:9093",
        "version": "4",
        "groupKey": GROUP_KEY,
        "truncatedAlerts": 0,
    }


def single_webhook() -> dict[str, Any]:
    payload = group_webhook()
    payload["alerts"] = payload["alerts"][:1]
    payload["commonLabels"] = payload["alerts"][0]["labels"]
    payload["commonAnnotations"] = payload["alerts"][0]["annotations"]
    return payload


def slack_post(title: str, **extra: Any) -> dict[str, Any]:
    """Alertmanager's Slack notifier with the default templates, as the Events API delivers
    the incoming webhook's post."""
    link = "http://alertmanager.monitoring.svc:9093/#/alerts?receiver=slack"
    return {
        "type": "message",
        "subtype": "bot_message",
        "text": "",
        "ts": "1768305600.000200",
        "username": "AlertManager",
        "bot_id": "B07ALERTS",
        "attachments": [
            {
                "id": 1,
                "color": "a30200" if "FIRING" in title else "2eb886",
                "fallback": f"{title} | {link}",
                "title": title,
                "title_link": link,
                "mrkdwn_in": ["fallback", "pretext", "text"],
            }
        ],
        "channel": "C0INCIDENTS",
        "event_ts": "1768305600.000200",
        "channel_type": "channel",
        **extra,
    }


# --- webhooks --------------------------------------------------------------------------------


def test_a_webhook_group_of_two_alerts_is_one_alert() -> None:
    alert = from_webhook(group_webhook())
    assert alert.source == "alertmanager" and alert.status == "firing"
    assert alert.alerts == 2
    assert alert.labels == {
        "alertname": "ServiceHighErrorRate",
        "namespace": NS,
        "severity": "critical",
    }
    assert (alert.alertname, alert.namespace, alert.severity) == (
        "ServiceHighErrorRate",
        NS,
        "critical",
    )
    assert alert.service is None  # the two alerts are about different services
    assert alert.title == f"ServiceHighErrorRate in {NS} · 2 alerts"
    assert alert.starts_at == datetime(2026, 1, 13, 11, 57, 33, tzinfo=UTC)  # the earliest
    assert alert.url is not None and alert.url.startswith("http://prometheus.monitoring.svc:9090/")
    # What sets the two apart stays readable: each one's service and description.
    assert "service=frontend (firing): 25% of HTTP requests to frontend" in alert.summary
    assert "service=search (firing): 9.1% of HTTP requests to search" in alert.summary
    assert alert.summary.startswith("Service is failing requests.")


def test_one_alert_reads_as_the_model_should_read_it() -> None:
    alert = from_webhook(single_webhook())
    assert alert.service == "frontend"
    assert alert.title == f"ServiceHighErrorRate in {NS} (frontend)"
    assert alert.prompt() == (
        f"ServiceHighErrorRate (critical) in {NS}, service frontend: Service is failing "
        f"requests. 25% of HTTP requests to frontend in {NS} fail with 5xx."
    )


def test_the_resolved_group_keeps_its_fingerprint_and_truncated_alerts_count() -> None:
    firing = from_webhook(group_webhook())
    resolved_payload = group_webhook("resolved")
    resolved_payload["truncatedAlerts"] = 3
    resolved = from_webhook(resolved_payload)
    assert resolved.status == "resolved" and resolved.alerts == 5
    assert resolved.fingerprint == firing.fingerprint
    assert resolved.prompt().startswith("Resolved: ServiceHighErrorRate (critical)")
    other = group_webhook()
    other["groupLabels"] = {"alertname": "ServiceHighErrorRate", "namespace": "test-social-network"}
    assert from_webhook(other).fingerprint != firing.fingerprint


def test_without_group_labels_the_group_key_then_the_alerts_name_it() -> None:
    payload = group_webhook()
    payload["groupLabels"] = {}
    by_key = from_webhook(payload).fingerprint
    payload["groupKey"] = '{}:{cluster="b"}'
    assert from_webhook(payload).fingerprint != by_key
    del payload["groupKey"]
    by_alerts = from_webhook(payload).fingerprint
    payload["alerts"].reverse()
    assert from_webhook(payload).fingerprint == by_alerts
    assert len(by_alerts) == 16


def test_a_webhook_and_the_slack_post_of_the_same_group_are_one_alert() -> None:
    # The emulated Alertmanager renders both from one group, as the real one does.
    payload = single_webhook()
    sent = alertmanager.slack(payload)
    event = slack_post(sent["attachments"][0]["title"])
    from_slack = from_slack_message(event, namespaces=[NS])
    assert from_slack is not None
    assert from_slack.fingerprint == from_webhook(payload).fingerprint
    assert from_slack.labels == {
        "alertname": "ServiceHighErrorRate",
        "namespace": NS,
        "severity": "critical",
    }
    assert "frontend" in from_slack.summary


def _broken(change: str) -> Any:
    payload = group_webhook()
    if change == "list":
        return [payload]
    if change == "version":
        payload["version"] = "3"
    elif change == "no alerts":
        del payload["alerts"]
    elif change == "empty alerts":
        payload["alerts"] = []
    elif change == "alert not object":
        payload["alerts"][1] = "firing"
    elif change == "timestamp":
        payload["alerts"][0]["startsAt"] = "yesterday at noon"
    elif change == "timestamp type":
        payload["alerts"][0]["startsAt"] = 1768305600
    elif change == "labels":
        payload["commonLabels"] = ["alertname"]
    elif change == "label value":
        payload["alerts"][0]["labels"]["replicas"] = 3
    elif change == "status":
        payload["status"] = "pending"
    elif change == "truncated":
        payload["truncatedAlerts"] = "many"
    return payload


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("list", "a JSON object, not a list"),
        ("version", "unsupported webhook version '3'"),
        ("no alerts", "has no alerts"),
        ("empty alerts", "has no alerts"),
        ("alert not object", "alerts[1] must be an object, not a string"),
        ("timestamp", "alerts[0].startsAt is not an RFC 3339 time: 'yesterday at noon'"),
        ("timestamp type", "alerts[0].startsAt must be an RFC 3339 time string, not a number"),
        ("labels", "commonLabels must be an object of strings, not a list"),
        ("label value", "alerts[0].labels.replicas must be a string, not a number"),
        ("status", "status must be 'firing' or 'resolved', not 'pending'"),
        ("truncated", "truncatedAlerts must be a count"),
    ],
)
def test_a_malformed_webhook_says_what_is_wrong(change: str, message: str) -> None:
    with pytest.raises(AlertParseError) as raised:
        from_webhook(_broken(change))
    assert message in str(raised.value)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)


def _mostly(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """`valid` nine times in ten, else any JSON: deep paths get reached, and broken."""
    return st.one_of(*[valid] * 9, _json)


_strings = st.dictionaries(st.text(max_size=8), st.text(max_size=12), max_size=4)
_times = st.sampled_from(["2026-01-13T11:58:03.5+02:00", "0001-01-01T00:00:00Z", "2026-01-13"])
_near_alert = st.fixed_dictionaries(
    {},
    optional={
        "status": _mostly(st.sampled_from(["firing", "resolved"])),
        "labels": _mostly(_strings),
        "annotations": _mostly(_strings),
        "startsAt": _mostly(_times),
        "endsAt": _mostly(_times),
        "generatorURL": _mostly(st.sampled_from(["http://prom:9090/graph", "javascript:x"])),
        "fingerprint": _mostly(st.text(max_size=16)),
    },
)
_near_webhook = st.fixed_dictionaries(
    {"alerts": _mostly(st.lists(_near_alert, min_size=1, max_size=3))},
    optional={
        "version": _mostly(st.sampled_from(["4", 4])),
        "status": _mostly(st.sampled_from(["firing", "resolved"])),
        "groupLabels": _mostly(_strings),
        "commonLabels": _mostly(_strings),
        "commonAnnotations": _mostly(_strings),
        "groupKey": _mostly(st.text(max_size=30)),
        "truncatedAlerts": _mostly(st.integers(0, 5)),
        "externalURL": _mostly(st.just("http://alertmanager:9093")),
    },
)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(_json | _near_webhook)
def test_a_webhook_body_is_an_alert_or_an_alert_parse_error(payload: Any) -> None:
    try:
        alert = from_webhook(payload)
    except AlertParseError as error:
        assert str(error)
    else:
        assert isinstance(alert, Alert) and alert.alerts >= 1 and alert.fingerprint
        json.dumps(alert.model_dump(mode="json"))


# --- Slack posts -----------------------------------------------------------------------------

DEFAULT_TITLE = "[FIRING:1] ServiceHighErrorRate test-social-network (nginx-web-server critical)"


@pytest.mark.parametrize("namespaces", [["test-social-network", "test-hotel-reservation"], []])
def test_alertmanagers_default_slack_post(namespaces: list[str]) -> None:
    alert = from_slack_message(slack_post(DEFAULT_TITLE), namespaces)
    assert alert is not None
    assert (alert.source, alert.status, alert.alerts) == ("alertmanager", "firing", 1)
    assert alert.labels == {
        "alertname": "ServiceHighErrorRate",
        "namespace": "test-social-network",
        "severity": "critical",
    }
    assert alert.title == "ServiceHighErrorRate in test-social-network"
    # Its label name is lost, so the value is kept for the model but not named.
    assert "nginx-web-server" in alert.summary and "service" not in alert.labels
    assert alert.url == "http://alertmanager.monitoring.svc:9093/#/alerts?receiver=slack"
    assert alert.starts_at == datetime.fromtimestamp(1768305600.0002, UTC)
    assert alert.prompt().startswith(
        "ServiceHighErrorRate (critical) in test-social-network: Other labels"
    )


def test_the_same_group_resolved_or_renotified_has_one_fingerprint() -> None:
    firing = from_slack_message(slack_post(DEFAULT_TITLE))
    again = from_slack_message(slack_post(DEFAULT_TITLE.replace("FIRING:1", "FIRING:3")))
    resolved = from_slack_message(
        slack_post(
            "[RESOLVED] ServiceHighErrorRate test-social-network (nginx-web-server critical)"
        )
    )
    other = from_slack_message(slack_post(DEFAULT_TITLE.replace("social-network", "hotel-res")))
    assert firing and again and resolved and other
    assert resolved.status == "resolved" and again.alerts == 3
    assert firing.fingerprint == again.fingerprint == resolved.fingerprint
    assert other.fingerprint != firing.fingerprint


def test_a_pod_and_an_unknown_namespace_are_told_apart() -> None:
    title = "[FIRING:1] KubePodCrashLooping prod (geo-6d9f7c8b5d-x2k9q warning)"
    alert = from_slack_message(slack_post(title), namespaces=["test-hotel-reservation"])
    assert alert is not None
    # "prod" is not a known namespace, so it is not named one: only what is sure is.
    assert alert.labels == {
        "alertname": "KubePodCrashLooping",
        "severity": "warning",
        "pod": "geo-6d9f7c8b5d-x2k9q",
    }
    assert "prod" in alert.summary


CUSTOM_TEXT = (
    "*Alert:* Service is failing requests - `critical`\n"
    "*Description:* 25% of HTTP requests to frontend in test-hotel-reservation fail with 5xx.\n"
    "*Details:*\n"
    "  • *alertname:* `ServiceHighErrorRate`\n"
    "  • *namespace:* `test-hotel-reservation`\n"
    "  • *service:* `frontend`\n"
    "  • *severity:* `critical`\n"
)


def test_alertmanagers_common_custom_template() -> None:
    event = slack_post("[FIRING:1] ServiceHighErrorRate")
    event["attachments"][0]["text"] = CUSTOM_TEXT
    alert = from_slack_message(event)
    assert alert is not None and alert.source == "alertmanager"
    assert alert.labels == {
        "alertname": "ServiceHighErrorRate",
        "namespace": NS,
        "service": "frontend",
        "severity": "critical",
    }
    assert alert.title == f"Service is failing requests in {NS}"
    assert alert.summary == f"25% of HTTP requests to frontend in {NS} fail with 5xx."
    resolved = copy.deepcopy(event)
    resolved["attachments"][0]["title"] = "[RESOLVED] ServiceHighErrorRate"
    after = from_slack_message(resolved)
    assert after is not None and after.status == "resolved"
    assert after.fingerprint == alert.fingerprint


def test_a_custom_template_listing_labels_as_name_equals_value() -> None:
    def one(pod: str) -> str:
        return (
            f"Alert: KubePodCrashLooping\nDescription: Pod test-social-network/{pod} is crash "
            "looping\nLabels:\n - alertname = KubePodCrashLooping\n"
            f" - namespace = test-social-network\n - pod = {pod}\n"
        )

    text = "[FIRING:2] KubePodCrashLooping\n" + one("media-0") + one("text-1")
    alert = from_slack_message(
        {"type": "message", "subtype": "bot_message", "bot_id": "B1", "text": text, "ts": "1.0"}
    )
    assert alert is not None and alert.alerts == 2
    # Only what the alerts share is the group's: the pods differ.
    assert alert.labels == {"alertname": "KubePodCrashLooping", "namespace": "test-social-network"}


def pagerduty_post(status: str) -> dict[str, Any]:
    return {
        "type": "message",
        "subtype": "bot_message",
        "text": "",
        "ts": "1768305700.000300",
        "username": "PagerDuty",
        "bot_id": "B0PAGERDUTY",
        "attachments": [
            {
                "color": "D42D20" if status == "Triggered" else "56AD5C",
                "fallback": f"{status}: #4821 High error rate on checkout",
                "title": "#4821: High error rate on checkout",
                "title_link": "https://acme.pagerduty.com/incidents/Q2LT3V7YH8AB",
                "fields": [
                    {"title": "Status", "value": status, "short": True},
                    {"title": "Urgency", "value": "High", "short": True},
                    {
                        "title": "Service",
                        "value": "<https://acme.pagerduty.com/service-directory/PX1|checkout>",
                        "short": True,
                    },
                    {"title": "Assigned", "value": "<@U0DANA>", "short": True},
                ],
            }
        ],
    }


def test_a_pagerduty_incident_post() -> None:
    alert = from_slack_message(pagerduty_post("Triggered"), namespaces=["shop"])
    assert alert is not None
    assert (alert.source, alert.status) == ("pagerduty", "firing")
    assert alert.title == "#4821 High error rate on checkout"
    assert alert.labels == {"incident": "4821", "urgency": "high", "service": "checkout"}
    assert (alert.service, alert.severity) == ("checkout", "high")
    assert alert.url == "https://acme.pagerduty.com/incidents/Q2LT3V7YH8AB"
    acked = from_slack_message(pagerduty_post("Acknowledged"))
    resolved = from_slack_message(pagerduty_post("Resolved"))
    assert acked and resolved and acked.status == "firing" and resolved.status == "resolved"
    assert alert.fingerprint == acked.fingerprint == resolved.fingerprint


def test_a_pagerduty_post_in_blocks() -> None:
    event = {
        "type": "message",
        "subtype": "bot_message",
        "text": "Triggered: #77 Checkout Latency in shop",
        "ts": "1768305700.1",
        "bot_profile": {"name": "PagerDuty"},
        "blocks": [
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": "*<https://acme.pagerduty.com/incidents/Q1|#77 Checkout Latency"
                    " in shop>*",
                },
                "fields": [
                    {"type": "mrkdwn", "text": "*Status:*\nTriggered"},
                    {"type": "mrkdwn", "text": "*Service:*\nCheckout API"},
                ],
            }
        ],
    }
    alert = from_slack_message(event, namespaces=["shop"])
    assert alert is not None and alert.source == "pagerduty"
    assert alert.labels == {
        "incident": "77",
        "pagerduty_service": "Checkout API",
        "namespace": "shop",
    }


def datadog_post(state: str) -> dict[str, Any]:
    return {
        "type": "message",
        "subtype": "bot_message",
        "text": "",
        "ts": "1768305800.000400",
        "username": "Datadog",
        "bot_id": "B0DATADOG",
        "attachments": [
            {
                "title": f"[{state}] [P1] High error rate on {{service:checkout}}",
                "title_link": "https://app.datadoghq.com/monitors/81234567?from_ts=1768305500000",
                "text": "%%%\nError rate is above 5% on checkout.\n\n@slack-incidents\n%%%\n"
                "kube_namespace:shop, service:checkout, env:prod",
                "fallback": f"[{state}] [P1] High error rate on service:checkout",
                "color": "#e01e5a",
            }
        ],
    }


def test_a_datadog_monitor_notification() -> None:
    alert = from_slack_message(datadog_post("Triggered"))
    assert alert is not None
    assert (alert.source, alert.status) == ("datadog", "firing")
    assert alert.title == "High error rate on service:checkout"
    assert alert.labels == {
        "namespace": "shop",
        "service": "checkout",
        "env": "prod",
        "priority": "P1",
    }
    assert "Error rate is above 5% on checkout." in alert.summary
    recovered = from_slack_message(datadog_post("Recovered"))
    assert recovered is not None and recovered.status == "resolved"
    assert recovered.fingerprint == alert.fingerprint


def test_a_datadog_notification_scoped_to_a_host() -> None:
    event = {
        "type": "message",
        "text": "[Warn on {host:ip-10-0-1-7}] Disk almost full",
        "ts": "1.0",
        "bot_id": "B0DATADOG",
        "bot_profile": {"name": "Datadog"},
    }
    alert = from_slack_message(event)
    assert alert is not None and alert.labels == {"severity": "warning"}
    assert alert.title == "Disk almost full"


@pytest.mark.parametrize(
    "event",
    [
        {"type": "message", "user": "U0DANA", "text": "anyone looking at checkout?", "ts": "1.0"},
        {"type": "message", "user": "U0DANA", "text": "Note: deploy is done", "ts": "1.0"},
        {"type": "message", "user": "U0DANA", "text": "", "ts": "1.0"},
        # People quote alerts while they work; they ask the bot by mentioning it.
        {"type": "message", "user": "U0DANA", "text": DEFAULT_TITLE, "ts": "1.0"},
        {"type": "message", "subtype": "channel_join", "text": "<@U0DANA> has joined", "ts": "1.0"},
        # A reply in an alert's thread is someone working it, never a new alert.
        {**slack_post(DEFAULT_TITLE), "thread_ts": "0.5"},
        {
            "type": "message",
            "subtype": "message_deleted",
            "previous_message": slack_post(DEFAULT_TITLE),
        },
    ],
)
def test_messages_that_are_not_alerts(event: dict[str, Any]) -> None:
    assert from_slack_message(event, ["test-social-network"]) is None


def test_an_edit_counts_only_when_it_changes_the_alert_or_its_status() -> None:
    def edit(old: dict[str, Any], new: dict[str, Any]) -> Alert | None:
        event = {"type": "message", "subtype": "message_changed", "message": new}
        return from_slack_message({**event, "previous_message": old})

    resolved = edit(pagerduty_post("Triggered"), pagerduty_post("Resolved"))
    assert resolved is not None and resolved.status == "resolved"
    assert edit(pagerduty_post("Triggered"), pagerduty_post("Acknowledged")) is None
    # A reply in its thread makes Slack edit the parent: the same alert, nothing new.
    replied = {**slack_post(DEFAULT_TITLE), "reply_count": 1, "thread_ts": "1768305600.000200"}
    assert edit(slack_post(DEFAULT_TITLE), replied) is None


_cues = st.sampled_from(
    ["[FIRING:2] ", "[RESOLVED] ", "*Alert:* ", "• *namespace:* `", "#12 ", "[Triggered] ",
     "[P1] ", "Status:\n", "kube_namespace:", "<https://x.pagerduty.com/incidents/1|", "shop "]
)  # fmt: skip
_post_text = st.lists(_cues | st.text(max_size=15), max_size=8).map("".join)
_attachment = st.dictionaries(
    st.sampled_from(["title", "text", "fallback", "title_link", "pretext", "fields", "footer"]),
    _post_text | _json,
)
_event = st.fixed_dictionaries(
    {"bot_id": st.just("B1")},
    optional={
        "subtype": st.sampled_from(["bot_message", "message_changed", "channel_join"]) | _json,
        "text": _post_text | _json,
        "attachments": st.lists(_attachment, max_size=2) | _json,
        "blocks": _json,
        "ts": st.sampled_from(["1768305600.000200", "nan", "1e400"]) | _json,
        "thread_ts": _json,
        "username": st.sampled_from(["PagerDuty", "Datadog", "AlertManager"]) | _json,
        "bot_profile": _json,
        "message": _json,
        "previous_message": _json,
    },
)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(_event | st.dictionaries(st.text(max_size=10), _json))
def test_any_message_event_is_an_alert_or_none(event: dict[str, Any]) -> None:
    alert = from_slack_message(event, ["shop"])
    assert alert is None or isinstance(alert, Alert)


# --- requests --------------------------------------------------------------------------------


def test_a_persons_request_names_its_namespace_and_service() -> None:
    text = f"<@U0AOI> why is service frontend in {NS} failing?\nit started after the deploy"
    alert = from_request(text, "U0DANA", namespaces=[NS, "test-social-network"])
    assert (alert.source, alert.requester) == ("person", "U0DANA")
    assert alert.title == f"why is service frontend in {NS} failing?"
    assert alert.labels == {"namespace": NS, "service": "frontend"}
    assert alert.summary.endswith("it started after the deploy")
    assert alert.prompt() == (
        f"An engineer asked: why is service frontend in {NS} failing? it started after the "
        f"deploy (namespace {NS}, service frontend)"
    )


@pytest.mark.parametrize(
    ("text", "labels"),
    [
        ("<@U0AOI> check svc/frontend -n shop", {"namespace": "shop", "service": "frontend"}),
        ("<@U0AOI> deployment/geo keeps restarting", {"deployment": "geo"}),
        ("<@U0AOI> the checkout service is slow", {"service": "checkout"}),
        ("<@U0AOI> the service is slow in shop-2", {"namespace": "shop-2"}),
        ("<@U0AOI> is test-hotel-reservationx ok?", {}),  # a whole word only
    ],
)
def test_what_a_request_names(text: str, labels: dict[str, str]) -> None:
    assert from_request(text, "U1", namespaces=[NS, "shop-2"]).labels == labels


def test_a_request_fingerprint_is_the_person_and_their_words() -> None:
    one = from_request("<@U0AOI>  Is   checkout OK?", "U1")
    assert one.fingerprint == from_request("is checkout ok?", "U1").fingerprint
    assert one.fingerprint != from_request("is checkout ok?", "U2").fingerprint
    long = from_request("<@U0AOI> " + "why " * 100, "U1")
    assert len(long.title) <= 150 and long.title.endswith("…")


def test_an_empty_request_says_so() -> None:
    with pytest.raises(AlertParseError, match="empty"):
        from_request("<@U0AOI>   ", "U1")
