"""The Compressor keeps errors verbatim, counts repeats, digests JSON and stays in budget."""

from __future__ import annotations

import json

from agents.compressor import CHARS_PER_TOKEN, Compressor, notable_lines, plain_lines
from agents.digest import digest
from agents.llm import LLMClient, LLMConfig
from agents.models import Signal
from agents.tools.record import ToolCall

ERROR = "2026-01-13T12:00:01Z ERROR payment: charge failed: connection refused to 10.0.0.7:5432"


def call(request: list[str], raw: str, tool: str = "kubectl") -> ToolCall:
    return ToolCall(
        tool=tool, request=request, role="probe", decision="allow", ran=True, exit_code=0, raw=raw
    )


def pods_json(n: int) -> str:
    items = [
        {
            "kind": "Pod",
            "metadata": {"name": f"cart-{i}"},
            "spec": {"nodeName": "node-1"},
            "status": {
                "phase": "Running",
                "containerStatuses": [
                    {
                        "name": "cart",
                        "ready": i != 0,
                        "restartCount": 7 if i == 0 else 0,
                        "state": {"waiting": {"reason": "CrashLoopBackOff"}} if i == 0 else {},
                        "lastState": {"terminated": {"exitCode": 137, "reason": "OOMKilled"}}
                        if i == 0
                        else {},
                    }
                ],
            },
        }
        for i in range(n)
    ]
    return json.dumps({"kind": "List", "items": items})


def test_error_lines_stay_verbatim_and_repeats_are_counted() -> None:
    log = "\n".join([*(ERROR.replace("01Z", f"{i:02}Z") for i in range(30)), "GET /health 200"])
    lines = notable_lines(log)
    assert lines == [ERROR.replace("01Z", "00Z") + "  (×30)"]  # the first, verbatim
    assert plain_lines("a 1\na 2\na 3\nb") == ["a 1  (+2 alike)", "b"]


def test_json_lists_become_one_line_per_object_with_the_reason() -> None:
    lines = digest(pods_json(3))
    assert lines is not None and len(lines) == 3
    assert lines[0].startswith("pod/cart-0 Running ready 0/1 restarts 7 node node-1")
    assert "cart waiting: CrashLoopBackOff" in lines[0] and "last exit 137 OOMKilled" in lines[0]
    assert digest("NAME READY\ncart 1/1") is None
    warning = {"kind": "Event", "metadata": {"name": "e"}, "type": "Warning", "reason": "BackOff"}
    warning |= {"involvedObject": {"kind": "Pod", "name": "cart-0"}, "message": "restarting"}
    normal = {**warning, "type": "Normal", "reason": "Pulled"}
    assert digest(json.dumps({"items": [warning, normal]})) == [
        "Warning BackOff pod/cart-0: restarting"
    ]


def test_the_context_fits_the_budget_and_leads_with_signals_and_errors() -> None:
    calls = [
        call(["kubectl", "get", "pods", "-o", "json", "-n", "shop"], pods_json(400)),
        call(["kubectl", "logs", "cart-0", "-n", "shop"], "\n".join([ERROR] * 50 + ["ok"] * 5)),
        call(["error_rate", "shop"], "service=cart  0.42", tool="metrics"),
        call(["kubectl", "logs", "ad-0", "--all-containers", "--tail=60", "-n", "shop"], "ok"),
        call(["kubectl", "logs", "ad-0", "-c", "ad", "--previous", "-n", "shop"], "ok"),
        call(["kubectl", "logs", "geo-0", "--all-containers", "--tail=60", "-n", "shop"], "ok"),
        call(["kubectl", "logs", "-l", "app=geo", "-n", "shop"], "ok"),
    ]
    signal = Signal(analyzer="crash_loop", score=0.9, component="cart", summary="cart crashes")
    text = Compressor(budget_tokens=400).compress(calls, [signal])
    assert len(text) <= 400 * CHARS_PER_TOKEN
    assert text.startswith("Analyzer signals (strongest first):\n- [0.90] cart: cart crashes")
    assert "$ kubectl get pods  [exit 0]" in text  # namespace and -o json go without saying
    assert "cart waiting: CrashLoopBackOff" in text
    assert ERROR + "  (×50)" in text
    assert "No error or warning in: metrics error_rate shop; kubectl logs -l app=geo\n" in text
    assert "No error or warning in the logs of: ad-0, geo-0\n" in text  # each pod named once


def test_refused_calls_say_why() -> None:
    refused = ToolCall(
        tool="kubectl", request=["kubectl", "get", "secret"], role="probe", decision="deny",
        reason="Secrets are never read",
    )  # fmt: skip
    assert "[refused: Secrets are never read]" in Compressor(200).compress([refused])


def test_a_model_summarises_the_rest_within_budget(vllm_url: str) -> None:
    client = LLMClient(LLMConfig(base_url=vllm_url, seed=3))
    calls = [call(["kubectl", "get", "pods", "-o", "json", "-n", "shop"], pods_json(12))]
    text = Compressor(budget_tokens=300, client=client).compress(calls)
    assert "Other output:" in text and len(text) <= 300 * CHARS_PER_TOKEN
    assert "cart waiting: CrashLoopBackOff" in text  # the verbatim part is not the model's
    assert [c.purpose for c in client.ledger.calls] == ["compress"]
