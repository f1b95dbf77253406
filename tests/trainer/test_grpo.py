"""The real GRPO loop (TRL's GRPOTrainer, a PEFT LoRA adapter, our rewards) on a tiny random
model, in seconds: it trains, logs every reward, saves an adapter that loads back onto the
base model, and plots the curves."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

from agents.observer import ObserverView
from trainer.config import ConfigError, load_config
from trainer.decision_points import DecisionPoint
from trainer.grpo import train_grpo
from trainer.models import ModelSpec, load

CONFIGS = Path(__file__).parents[2] / "trainer" / "configs"


def _rows() -> list[dict[str, object]]:
    out = []
    for n, (component, level, kind) in enumerate(
        [
            ("user-service", "Virtualization", "Misconfiguration"),
            ("geo", "Application", "Code Defect"),
        ]
    ):
        view = ObserverView(alert=f"alert {n}", namespace="ns", iteration=1, max_iterations=3,
                            context=f"pods: {component} not ready")  # fmt: skip
        point = DecisionPoint(
            view=dataclasses.asdict(view), source="eval", trajectory_id=f"t{n}", iteration=1,
            scenario="k8s_target_port-misconfig-1", family="f", task="localization",
            namespace="ns", detected=True, faulty_components=[component], system_level=level,
            fault_type=kind,
        )  # fmt: skip
        out.append(point.as_row())
    return out


def test_grpo_trains_a_lora_adapter_on_a_tiny_model(tmp_path: Path) -> None:
    from datasets import Dataset
    from peft import PeftModel

    config = load_config(CONFIGS / "tiny-test.yaml")
    lines: list[str] = []
    result = train_grpo(
        config, Dataset.from_list(_rows()), tmp_path / "run", cache=tmp_path / "models",
        progress=lines.append,
    )  # fmt: skip
    assert result.steps == 3 and len(result.mean_rewards) == 3
    assert any(line.startswith("step 3/3: mean reward") for line in lines)
    history = json.loads(result.log.read_text())
    logged = {k for entry in history for k in entry}
    for name in ("format_reward", "target_reward", "submission_reward", "safety_reward"):
        assert f"rewards/{name}/mean" in logged
    assert (result.adapter / "adapter_config.json").is_file()
    assert result.plot.is_file() and result.plot.stat().st_size > 1000
    base, _ = load(config.model.spec(), tmp_path / "models")
    adapted = PeftModel.from_pretrained(base, result.adapter)
    assert any("lora_A" in name for name, _ in adapted.named_parameters())


def test_a_bad_config_names_the_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nmodel: {kind: cloud}\nlora: {r: 0}\n")
    with pytest.raises(ConfigError, match=r"model.kind.*lora.r|lora.r.*model.kind"):
        load_config(bad)
    with pytest.raises(ConfigError, match="not YAML"):
        bad.write_text("name: [")
        load_config(bad)


def test_the_shipped_configs_load() -> None:
    for name in ("smollm2-cpu.yaml", "qwen3-14b.yaml", "tiny-test.yaml"):
        config = load_config(CONFIGS / name)
        assert isinstance(config.model.spec(), ModelSpec)
    paper = load_config(CONFIGS / "qwen3-14b.yaml")
    assert (paper.lora.r, paper.lora.alpha, paper.grpo["learning_rate"]) == (64, 128, 1e-5)
    assert paper.grpo["num_generations"] == 4 and paper.grpo["num_train_epochs"] == 3
    cpu = load_config(CONFIGS / "smollm2-cpu.yaml")
    assert cpu.lora.r <= 16  # what the local vLLM serves (--max-lora-rank 16)


def test_guided_samples_are_decisions_as_vllm_would_serve_them(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from agents.decisions import ObserverDecision
    from trainer.rollout import GuidedRollout

    config = load_config(CONFIGS / "tiny-test.yaml")
    model, tokenizer = load(config.model.spec(), tmp_path / "models")
    rollout = GuidedRollout(tokenizer, model.config.vocab_size, 1500, temperature=1.0)
    trainer = SimpleNamespace(
        processing_class=tokenizer,
        model=model,
        accelerator=SimpleNamespace(unwrap_model=lambda m: m),
    )
    prompts = [row["prompt"] for row in _rows()]
    out = rollout(prompts, trainer)
    assert len(out["completion_ids"]) == len(prompts) == len(out["prompt_ids"])
    for ids in out["completion_ids"]:
        text = tokenizer.decode(ids, skip_special_tokens=True)
        if ids[-1] in (tokenizer.eos_token_id, tokenizer.pad_token_id):
            # A random model, and still the schema. xgrammar's JSON strings, like vLLM's, let
            # control characters through, which only a strict parser minds; and it reads a
            # byte sequence that is not valid UTF-8 (a surrogate's three bytes) as one
            # character of a string's maxLength, where decoding makes a U+FFFD of each byte.
            held = re.sub("\ufffd+", "\ufffd", text)
            ObserverDecision.model_validate(json.loads(held, strict=False))
        else:
            assert text.startswith('{"')  # cut by the length limit, on its way
