"""A promoted adapter takes over at the next investigation, without a restart: the bot reads
the current model from Redis each time and asks the model server for it by name."""

from __future__ import annotations

import json
from typing import Any

from agents.llm import LLMConfig
from agents.llm_agent import Budgets
from bot.redis_store import key

SUBMIT = {
    "summary": "user-service's Service targets a port nothing listens on",
    "phase": "ready_to_submit",
    "hypothesis": "targetPort 9999 instead of 9090",
    "confidence": 90,
    "next_action": {
        "action": "submit",
        "submission": {"detected": True, "faulty_components": ["user-service"],
                       "system_level": "Virtualization", "fault_type": "Misconfiguration",
                       "root_cause": "targetPort 9999", "fixes": []},
    },
}  # fmt: skip


async def test_the_bot_asks_for_the_promoted_adapter(harness: Any, scripted: Any) -> None:
    url, script = scripted
    h = await harness(
        "k8s_target_port-misconfig-1",
        agent="llm",
        llm=LLMConfig(base_url=url, model="smollm2"),
        budgets=Budgets(max_iterations=2, model_compressor=False),
    )
    script.say(SUBMIT, SUBMIT)
    ts = await h.post_alert()
    await h.until(lambda: h.said(ts, "Fault detected"))
    assert [r["model"] for r in script.requests] == ["smollm2"]
    # `aoi train promote` writes this; the next investigation uses it.
    await h.bot.bot.redis.set(key("model", "current"), json.dumps({"name": "observer-v2"}))
    asked = await h.slack.post_message(
        "C0INCIDENT", "U0DEV", "<@U0AOIBOT> check test-social-network again"
    )
    await h.until(lambda: h.said(asked.ts, "Fault detected"))
    assert [r["model"] for r in script.requests] == ["smollm2", "observer-v2"]
