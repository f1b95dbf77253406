"""Adapters reach the model server at run time, and only a better one is promoted: a LoRA
adapter for the served SmolLM2 is loaded into the real vLLM (`/v1/load_lora_adapter`) and
answers as its own model; an adapter whose held-out evaluation does not beat the current
model's is refused and changes nothing; a better one becomes current in Redis."""

from __future__ import annotations

import asyncio
import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import redis

from aoi.local_llm import MODEL_DIR
from bot.redis_store import open_redis
from trainer.eval.scores import summarize
from trainer.promotion import PromotionError, promote
from trainer.registry import BASE, AdapterRecord, Registry, current
from trainer.serving import ServingError, load_adapter, served_models, unload_adapter


def _adapter(out: Path) -> Path:
    """A LoRA adapter on the served SmolLM2 (untrained: its B matrices start at zero)."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(MODEL_DIR, dtype=torch.float32)
    peft = get_peft_model(base, LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"]))
    peft.save_pretrained(out)
    return out


def _evaluation(folder: Path, successes: list[bool]) -> str:
    """An evaluation's summary as `aoi eval` writes it, for runs with these outcomes."""
    records = [
        {"scenario": f"s{i}", "task": "localization", "family": f"family-{i % 2}",
         "attempt": 0, "success": ok}
        for i, ok in enumerate(successes)
    ]  # fmt: skip
    summary = {**summarize(records, 1), "k": 1, "agent": "llm", "split": "aoi-test"}
    folder.mkdir(parents=True)
    (folder / "summary.json").write_text(json.dumps(summary))
    return str(folder)


def _chat(url: str, model: str) -> str:
    body = {"model": model, "messages": [{"role": "user", "content": "Say OK."}], "max_tokens": 4}
    request = urllib.request.Request(
        f"{url}/chat/completions", json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        return str(json.loads(response.read())["model"])


@pytest.fixture
def store(tmp_path: Path) -> Any:
    handle = open_redis(None, tmp_path / "redis")
    client = redis.Redis.from_url(handle.url, decode_responses=True)
    yield client
    client.close()
    asyncio.run(handle.close())


def test_runtime_adapter_loading_and_the_promotion_gate(
    vllm_url: str, tmp_path: Path, store: Any
) -> None:
    registry = Registry(tmp_path / "adapters")
    base = _evaluation(tmp_path / "e0", [True, False, False, False])
    registry.save(AdapterRecord(name=BASE, base="smollm2", evaluation=base))
    path = _adapter(tmp_path / "lora")
    # Loaded at run time, it answers under its own name; unloaded, it is gone.
    load_adapter(vllm_url, "aoi-probe-adapter", path)
    assert "aoi-probe-adapter" in served_models(vllm_url)
    assert _chat(vllm_url, "aoi-probe-adapter") == "aoi-probe-adapter"
    assert unload_adapter(vllm_url, "aoi-probe-adapter")
    assert "aoi-probe-adapter" not in served_models(vllm_url)
    with pytest.raises(ServingError, match="no PEFT adapter"):
        load_adapter(vllm_url, "nothing", tmp_path)

    for name, outcomes in (
        ("observer-worse", [False, False, False, False]),
        ("observer-same", [False, True, False, False]),
        ("observer-better", [True, True, False, True]),
    ):
        evaluation = _evaluation(tmp_path / name, outcomes)
        registry.save(
            AdapterRecord(name=name, base="smollm2", adapter=str(path), evaluation=evaluation)
        )
    for refused in ("observer-worse", "observer-same"):
        verdict = promote(registry, refused, store, vllm_url)
        assert not verdict.promoted and "does not beat base" in verdict.reason
        assert current(store) is None and refused not in served_models(vllm_url)
    verdict = promote(registry, "observer-better", store, vllm_url)
    assert verdict.promoted and "+50.0% over base" in verdict.reason
    assert current(store)["name"] == "observer-better"
    assert _chat(vllm_url, "observer-better") == "observer-better"
    # Now the bar is the promoted adapter.
    again = promote(registry, "observer-same", store, vllm_url)
    assert not again.promoted and "does not beat observer-better" in again.reason
    unload_adapter(vllm_url, "observer-better")


def test_promotion_needs_evaluations(tmp_path: Path, store: Any) -> None:
    registry = Registry(tmp_path / "adapters")
    registry.save(AdapterRecord(name="observer-new", base="smollm2", adapter=str(tmp_path)))
    with pytest.raises(PromotionError, match="no held-out evaluation"):
        promote(registry, "observer-new", store, "http://127.0.0.1:9/v1")


def test_training_samples_come_from_the_served_policy(vllm_url: str, tmp_path: Path) -> None:
    """`rollout: vllm`: the adapter as trained so far is saved and loaded into the server once a
    step, its samples are decisions (vLLM's guided decoding), and the token ids TRL scores are
    the ones the trainer's tokenizer makes of the same conversation."""
    from types import SimpleNamespace

    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from agents.decisions import ObserverDecision
    from trainer.rollout import ServedRollout

    tokenizer = AutoTokenizer.from_pretrained(MODEL_DIR)
    base = AutoModelForCausalLM.from_pretrained(MODEL_DIR, dtype=torch.float32)
    policy = get_peft_model(base, LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj"]))
    trainer = SimpleNamespace(
        processing_class=tokenizer,
        model=policy,
        state=SimpleNamespace(global_step=0),
        accelerator=SimpleNamespace(unwrap_model=lambda m: m),
    )
    conversation = [
        {"role": "system", "content": "You are the Observer. Answer with one decision as JSON."},
        {"role": "user", "content": "Alert: user-service returns 503. pods: user-service 0/1."},
    ]
    rollout = ServedRollout(vllm_url, tmp_path, 160, temperature=1.0, name="aoi-policy-probe")
    out = rollout([conversation, conversation], trainer)
    assert "aoi-policy-probe" in served_models(vllm_url)
    expected = tokenizer.apply_chat_template(conversation, add_generation_prompt=True)
    if not isinstance(expected, list):  # transformers 5 answers a BatchEncoding
        expected = expected["input_ids"]
    assert out["prompt_ids"] == [expected, expected]
    for ids in out["completion_ids"]:
        text = tokenizer.decode(ids, skip_special_tokens=True)
        if ids[-1] == tokenizer.eos_token_id:  # finished, not cut by the length limit
            ObserverDecision.model_validate(json.loads(text, strict=False))
        else:
            assert text.startswith('{"')
    with pytest.raises(ValueError, match="conversations"):
        rollout(["a bare string"], trainer)
    rollout.close()
    assert "aoi-policy-probe" not in served_models(vllm_url)
