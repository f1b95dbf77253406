"""Block Kit for the incident thread, checked as Slack checks it (the emulator's chat and
views validation, plus the limits it leaves out) and read as an engineer reads it."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from agents.manifests import digest
from agents.models import Evidence, Execution, Finding, ProposedAction, RunbookRef
from bot.alerts import Alert
from bot.blocks import (
    alert_message,
    ask_for_correction,
    escape,
    finding_messages,
    fix_card,
    fix_card_result,
    investigating_message,
    progress_message,
    rejection_modal,
)
from sim.slack.methods.base import SlackError
from sim.slack.methods.chat import message_content
from sim.slack.methods.views import checked_view

ALERT = Alert(
    source="alertmanager",
    title="ServiceHighErrorRate in test-hotel-reservation (frontend)",
    summary="Service is failing requests. 25% of HTTP requests to frontend fail with 5xx.",
    labels={
        "alertname": "ServiceHighErrorRate",
        "namespace": "test-hotel-reservation",
        "service": "frontend",
        "severity": "critical",
    },
    fingerprint="c482e105510973f8",
    starts_at=datetime(2026, 1, 13, 11, 57, 33, tzinfo=UTC),
    url="http://prometheus.monitoring.svc:9090/graph?g0.expr=x&g0.tab=1",
)
HOSTILE = "<!channel> <@U0BOSS> <https://evil.example|click> & ``` done"
# Our own markup: user mentions and links to what we name; nothing else may open a `<`.
_OURS = re.compile(r"<@U[A-Z0-9]+>|<https?://[^\s<>|]+\|[^<>]*>")


def _texts(node: Any) -> list[tuple[str, str]]:
    """(type, text) of every text object in a Block Kit tree."""
    if isinstance(node, list):
        return [t for item in node for t in _texts(item)]
    if not isinstance(node, dict):
        return []
    found = [(node["type"], node["text"])] if isinstance(node.get("text"), str) else []
    return found + [t for value in node.values() for t in _texts(value)]


def valid(message: dict[str, Any]) -> dict[str, Any]:
    """`message` if chat.postMessage would take it and it shows no markup of others'."""
    try:
        message_content(dict(message))
    except SlackError as error:
        raise AssertionError(f"Slack refuses it: {error.error} {error.extra}") from None
    assert set(message) == {"text", "blocks"} and message["text"].strip()
    assert len(message["text"]) <= 40_000 and len(message["blocks"]) <= 50
    texts = _texts(message["blocks"])
    # Slack answers msg_blocks_too_long past about 12,000 characters of block text.
    assert sum(len(t) for _, t in texts) <= 12_000
    for block in message["blocks"]:
        if block["type"] == "context":
            assert len(block["elements"]) <= 10
    for kind, text in [*texts, ("mrkdwn", message["text"])]:
        assert text, "Slack refuses empty text objects"
        if kind == "mrkdwn":
            assert "<" not in _OURS.sub("", text), text
            assert text.count("```") % 2 == 0, f"an unclosed code block in {text!r}"
    return message


def _all_text(messages: list[dict[str, Any]]) -> str:
    return "\n".join(t for m in messages for _, t in _texts(m["blocks"]))


# --- the alert and progress ------------------------------------------------------------------


def test_the_alert_as_posted_by_the_bot() -> None:
    message = valid(alert_message(ALERT))
    header, section, context = message["blocks"]
    assert header == {
        "type": "header",
        "text": {
            "type": "plain_text",
            "text": "🔥 ServiceHighErrorRate in test-hotel-reservation (frontend)",
            "emoji": True,
        },
    }
    assert "25% of HTTP requests to frontend" in section["text"]["text"]
    labels, facts, link = (e["text"] for e in context["elements"])
    assert "`namespace=test-hotel-reservation`" in labels and "`severity=critical`" in labels
    assert facts == "firing · since 2026-01-13 11:57 UTC · alertmanager"
    assert link.startswith("<http://prometheus.monitoring.svc:9090/graph?g0.expr=x&amp;g0.tab=1")
    assert message["text"].startswith("🔥 firing: ServiceHighErrorRate")


def test_an_alerts_own_text_cannot_mention_or_link() -> None:
    alert = Alert(
        source="person",
        status="resolved",
        title=HOSTILE,
        summary=HOSTILE,
        labels={"x": HOSTILE},
        fingerprint="f",
        url="javascript:alert(1)",
    )
    for message in (alert_message(alert), investigating_message(alert, "rules")):
        valid(message)
        assert "&lt;!channel&gt;" in message["text"]
    assert alert_message(alert)["blocks"][0]["text"]["text"].startswith("✅ <!channel>")


def test_investigating_names_the_alert_and_the_agent() -> None:
    message = valid(investigating_message(ALERT, "llm"))
    assert message["blocks"][0]["text"]["text"] == (
        "🔍 Investigating *ServiceHighErrorRate in test-hotel-reservation (frontend)* with the "
        "*llm* agent…"
    )


def test_progress_shows_the_last_steps_then_done_or_the_failure() -> None:
    steps = [f"kubectl get pods -n shop # step {i}" for i in range(1, 13)]
    running = valid(progress_message(steps))
    lines = running["blocks"][0]["text"]["text"].splitlines()
    assert lines[0] == "_… 4 earlier steps_" and len(lines) == 9
    assert lines[1] == "✓ kubectl get pods -n shop # step 5"
    assert lines[-1] == "⏳ kubectl get pods -n shop # step 12"
    done = valid(progress_message(steps, done=True))
    assert done["blocks"][0]["text"]["text"].splitlines()[-1].startswith("✓ ")
    assert done["blocks"][1]["elements"][0]["text"] == "✅ done in 12 steps"
    failed = valid(progress_message(steps[:2], failed="the cluster did not answer: " + HOSTILE))
    assert (
        "❌ *Investigation failed:* the cluster did not answer: &lt;!channel&gt;"
        in (failed["blocks"][1]["text"]["text"])
    )
    assert valid(progress_message([]))["blocks"][0]["text"]["text"] == "⏳ starting…"
    huge = valid(progress_message(["x" * 5_000] * 20, failed="y" * 5_000))
    assert len(huge["blocks"][0]["text"]["text"]) <= 2_900


def test_asking_for_a_correction_mentions_the_person() -> None:
    message = valid(ask_for_correction("U0DANA"))
    assert message["text"] == (
        "<@U0DANA> thanks — what was wrong? Reply in this thread and I'll keep it with the "
        "investigation."
    )
    assert "<@" not in valid(ask_for_correction("<!channel>"))["text"]


def test_escape() -> None:
    assert escape("a < b && c > <@U1>") == "a &lt; b &amp;&amp; c &gt; &lt;@U1&gt;"


# --- the finding -----------------------------------------------------------------------------


def _finding(**changes: Any) -> Finding:
    base: dict[str, Any] = {
        "detected": True,
        "faulty_components": ["user-service"],
        "system_level": "Application",
        "fault_type": "Misconfiguration",
        "root_cause": "user-service's Service targets port 9999; its pods listen on 9090.",
        "evidence": [
            Evidence(
                summary="The Service has no endpoints on its targetPort",
                source=["kubectl get endpoints user-service -n test-social-network -o json"],
                excerpt='{"subsets": []}',
            )
        ],
        "confidence": 0.874,
    }
    return Finding(**(base | changes))


def test_a_finding_in_one_message() -> None:
    [message] = finding_messages(_finding(), seconds=41.6, agent="rules")
    valid(message)
    header, cause, facts, context, title, item = message["blocks"]
    assert header["text"]["text"] == "🔴 Fault detected: user-service"
    assert cause["text"]["text"].startswith("*Root cause:* user-service's Service targets")
    assert [f["text"] for f in facts["fields"]] == [
        "*Confidence*\n87%",
        "*System level*\nApplication",
        "*Fault type*\nMisconfiguration",
        "*Affected*\n`user-service`",
    ]
    assert context["elements"][0]["text"] == "rules agent · 42 s · 1 evidence"
    assert title["text"]["text"] == "*Evidence*"
    assert item["text"]["text"] == (
        "*1.* The Service has no endpoints on its targetPort\n"
        "↳ `kubectl get endpoints user-service -n test-social-network -o json`\n"
        '```{"subsets": []}```'
    )
    assert message["text"].startswith("🔴 Fault detected: user-service: user-service's Service")


def test_a_healthy_finding() -> None:
    [message] = finding_messages(Finding(detected=False, confidence=0.9))
    valid(message)
    assert message["blocks"][0]["text"]["text"] == "🟢 No fault detected"
    assert "The checks found nothing wrong." in message["blocks"][1]["text"]["text"]


def test_a_huge_finding_is_split_into_valid_messages_losing_only_excerpts_excess() -> None:
    evidence = [
        Evidence(
            summary=f"signal {i}: " + "pods restart " * 20,
            source=[
                f"kubectl logs pod-{i} -n shop",
                f"promql: rate(errors_total{{pod='{i}'}}[5m])",
            ],
            excerpt=f"excerpt {i} begins\n" + ("E0113 connection refused\n" * 120),
        )
        for i in range(60)
    ]
    evidence.append(Evidence(summary="word " * 2_000, source=[], excerpt=""))
    finding = _finding(
        evidence=evidence,
        faulty_components=[f"component-{i}" for i in range(150)],
        proposed_actions=[ProposedAction(command=["kubectl", "get", "pods"], rationale="r")],
    )
    messages = finding_messages(finding, seconds=3)
    assert len(messages) > 1
    for n, message in enumerate(messages, 1):
        valid(message)
        assert len(message["blocks"]) <= 45
        if n > 1:
            assert message["blocks"][0]["elements"][0]["text"] == (
                f"_Finding, continued ({n}/{len(messages)})_"
            )
    text = _all_text(messages)
    for i, item in enumerate(evidence[:60]):
        assert f"*{i + 1}.* {item.summary}" in text
        for source in item.source:
            assert f"↳ `{source}`" in text
        assert item.excerpt[:900] in text  # the start of each excerpt, the excess cut
    assert "more characters not shown_" in text
    assert text.count("word") == 2_000  # prose is split, never cut
    assert all(f"`component-{i}`" in text for i in range(150))


def test_evidence_cannot_mention_link_or_break_its_code_block() -> None:
    item = Evidence(summary=HOSTILE, source=[HOSTILE, "kubectl `logs`"], excerpt=HOSTILE)
    finding = _finding(root_cause=HOSTILE, faulty_components=[HOSTILE], evidence=[item])
    [message] = finding_messages(finding, agent=HOSTILE)
    valid(message)
    text = _all_text([message])
    assert "&lt;!channel&gt; &lt;@U0BOSS&gt; &lt;https://evil.example|click&gt; &amp;" in text
    assert (
        "```&lt;!channel&gt; &lt;@U0BOSS&gt; &lt;https://evil.example|click&gt; &amp; ‵‵‵ done```"
        in text
    )
    assert "↳ `kubectl ˋlogsˋ`" in text


# --- fix cards -------------------------------------------------------------------------------

RESTART = ProposedAction(
    command=[
        "kubectl",
        "rollout",
        "restart",
        "deployment/user-service",
        "-n",
        "test-social-network",
    ],
    rationale="Its pods hold a stale config; a restart reloads it.",
    action_class="restart",
)


def _buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]


def test_a_fix_card_shows_the_exact_command_and_its_buttons() -> None:
    message = valid(
        fix_card(
            RESTART,
            index=1,
            dry_run="deployment.apps/user-service restarted (server dry run)",
            approve_value="a" * 2_000,
            reject_value="signed.reject.token",
        )
    )
    head, command, dry, actions = message["blocks"]
    assert head["text"]["text"] == (
        "*Proposed fix 2* · `restart`\nIts pods hold a stale config; a restart reloads it."
    )
    assert command["text"]["text"] == (
        "```kubectl rollout restart deployment/user-service -n test-social-network```"
    )
    assert dry["text"]["text"] == (
        "*Dry run*\n```deployment.apps/user-service restarted (server dry run)```"
    )
    assert actions["block_id"] == "fix-1"
    approve, reject = _buttons(message)
    assert (approve["action_id"], approve["style"], approve["value"]) == (
        "aoi_approve",
        "primary",
        "a" * 2_000,
    )
    assert (reject["action_id"], reject["style"], reject["value"]) == (
        "aoi_reject",
        "danger",
        "signed.reject.token",
    )
    assert approve["text"] == {"type": "plain_text", "text": "Approve", "emoji": True}
    assert len({b.get("block_id") for b in message["blocks"]}) == 4
    assert message["text"] == (
        "Proposed fix 2: kubectl rollout restart deployment/user-service -n test-social-network"
    )


def test_a_button_value_longer_than_slack_allows_is_refused() -> None:
    with pytest.raises(ValueError, match="approve_value is 2001 characters"):
        fix_card(RESTART, index=1, dry_run="", approve_value="a" * 2_001, reject_value="r")


def test_a_command_is_shell_quoted_and_a_long_one_kept_whole() -> None:
    patch = '{"spec":{"template":{"spec":{"containers":[{"name":"app","env":[]}]}}}}'
    action = ProposedAction(
        command=["kubectl", "patch", "deployment", "geo", "-p", patch + " " * 10 + "x" * 6_000],
        rationale=HOSTILE,
    )
    message = valid(
        fix_card(action, index=1, dry_run=HOSTILE * 100, approve_value="a", reject_value="r")
    )
    code = "".join(
        b["text"]["text"].strip("`")
        for b in message["blocks"]
        if "-command-" in b.get("block_id", "")
    )
    assert code.startswith('kubectl patch deployment geo -p \'{"spec"')
    assert code.count("x") == 6_000
    assert "more characters not shown_" in message["blocks"][-2]["text"]["text"]


def test_a_runbook_fix_says_which_runbook_it_runs() -> None:
    action = ProposedAction(
        command=[
            "kubectl",
            "exec",
            "mongodb-geo-0",
            "-n",
            "hotel",
            "--",
            "bash",
            "/runbooks/repair.sh",
        ],
        rationale="Recreate the database's users.",
        action_class="runbook",
        runbook=RunbookRef(
            configmap="db-runbooks", key="repair.sh", uid="u-1", resource_version="4711"
        ),
    )
    message = valid(fix_card(action, index=1, dry_run="", approve_value="a", reject_value="r"))
    text = _all_text([message])
    assert "Runs the runbook `db-runbooks/repair.sh` as it was at resourceVersion `4711`" in text
    assert "_no dry-run output_" in text


def test_an_apply_fix_names_the_manifests_digest_not_the_whole_manifest() -> None:
    manifest = "\n".join(f'  "line{i}": "{"v" * 50}",' for i in range(200))
    action = ProposedAction(
        command=["kubectl", "apply", "-f", f"/var/lib/aoi/manifests/{digest(manifest)}.json"],
        rationale="A Job recreates the users.",
        action_class="apply",
        manifest=manifest,
    )
    message = valid(
        fix_card(
            action,
            index=3,
            dry_run="job.batch/repair created (server dry run)",
            approve_value="a",
            reject_value="r",
        )
    )
    text = _all_text([message])
    assert f"Applies the manifest with sha256 `{digest(manifest)}`, exactly as approved" in text
    assert '"line7"' in text and '"line8"' not in text and "… 192 more lines" in text


@pytest.mark.parametrize(
    ("state", "execution", "reason", "line"),
    [
        ("running", None, "", "⏳ Approved by <@U0DANA> · running"),
        (
            "applied",
            Execution(
                command=RESTART.command,
                output="deployment.apps/user-service restarted",
                applied=True,
                verified=True,
                verification="3/3 ready",
            ),
            "",
            "✅ Approved by <@U0DANA> · applied · verified\n"
            "```deployment.apps/user-service restarted```",
        ),
        (
            "applied",
            Execution(
                command=RESTART.command, applied=True, verified=False, verification="0/3 ready"
            ),
            "",
            "✅ Approved by <@U0DANA> · applied · not verified: 0/3 ready",
        ),
        (
            "applied",
            Execution(command=RESTART.command, applied=True),
            "",
            "✅ Approved by <@U0DANA> · applied · verification unknown",
        ),
        (
            "failed",
            Execution(
                command=RESTART.command, output='Error from server (NotFound): "user-service"'
            ),
            "",
            '❌ Approved by <@U0DANA> · failed\n```Error from server (NotFound): "user-service"```',
        ),
        (
            "rejected",
            None,
            "wrong deployment " + HOSTILE,
            "🚫 Rejected by <@U0DANA>: wrong deployment &lt;!channel&gt;",
        ),
        ("rejected", None, "", "🚫 Rejected by <@U0DANA>"),
        (
            "refused",
            None,
            "the runbook changed",
            "⛔ Approved by <@U0DANA> · refused: the runbook changed",
        ),
    ],
)
def test_the_card_after_each_result(
    state: Any, execution: Execution | None, reason: str, line: str
) -> None:
    message = valid(
        fix_card_result(
            RESTART, index=1, state=state, actor="U0DANA", execution=execution, reason=reason
        )
    )
    assert _buttons(message) == []
    result = message["blocks"][-1]
    assert result["block_id"] == "fix-1-result"
    assert result["text"]["text"].startswith(line)
    assert message["blocks"][0]["text"]["text"].startswith("*Proposed fix 2*")
    assert message["text"].startswith("Fix 2: ") and "<@" not in message["text"]


def test_a_huge_failure_output_is_cut_and_its_block_closed() -> None:
    execution = Execution(command=RESTART.command, output="```\n" + "boom\n" * 3_000)
    message = valid(
        fix_card_result(RESTART, index=1, state="failed", actor="U1", execution=execution)
    )
    assert "more characters not shown_" in message["blocks"][-1]["text"]["text"]


# --- the rejection modal ---------------------------------------------------------------------


def test_the_rejection_modal_is_a_view_slack_opens() -> None:
    view = rejection_modal(private_metadata="m" * 3_000)
    assert checked_view({"view": view}) == view
    assert (view["callback_id"], view["title"]["text"], view["submit"]["text"]) == (
        "aoi_reject_reason",
        "Reject fix",
        "Reject",
    )
    assert view["close"]["text"] == "Cancel" and view["private_metadata"] == "m" * 3_000
    [block] = view["blocks"]
    assert (block["block_id"], block["element"]["action_id"]) == ("reason", "reason")
    assert block["element"]["type"] == "plain_text_input" and block["element"]["multiline"]
    with pytest.raises(ValueError, match="private_metadata"):
        rejection_modal(private_metadata="m" * 3_001)
