"""A training run's configuration: one YAML file (trainer/configs/*.yaml) read into typed
sections: the base model, the LoRA adapter, GRPO's settings (passed to TRL's GRPOConfig as
they are, so every TRL option is available), and the rewards' weights. A mistake in the
file is a clear error naming the field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from trainer.models import ModelSpec


class ConfigError(ValueError):
    """The training configuration cannot be used, with where and why."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ModelSection(_Strict):
    kind: str = Field(pattern="^(hf|gguf|tiny)$")
    path: str = ""
    package: str = ""
    file: str = ""
    name: str = ""
    dtype: str = "float32"

    def spec(self) -> ModelSpec:
        return ModelSpec(
            kind=self.kind,  # type: ignore[arg-type]
            path=self.path,
            package=self.package,
            file=self.file,
            name=self.name,
            dtype=self.dtype,
        )


class LoraSection(_Strict):
    r: int = Field(16, ge=1)
    alpha: int = Field(32, ge=1)
    dropout: float = Field(0.05, ge=0, lt=1)
    # vLLM serves LoRA on the attention and MLP projections of Llama/Qwen models.
    target_modules: list[str] = Field(
        default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj"]
    )


class TrainConfig(_Strict):
    name: str  # the adapter's name in the registry and in vLLM
    model: ModelSection
    lora: LoraSection = Field(default_factory=LoraSection)
    grpo: dict[str, Any] = Field(default_factory=dict)  # TRL GRPOConfig fields
    rewards: dict[str, Any] = Field(default_factory=dict)  # trainer.rewards.RewardConfig
    # Decision points above this many prompt tokens are left out: TRL does not cut prompts.
    max_prompt_tokens: int = Field(1536, ge=64)
    # How completions are sampled (trainer/rollout.py): `trl` (TRL's own generation, or vLLM
    # colocated when grpo.use_vllm), `guided` (transformers held to the decision schema by
    # xgrammar), `vllm` (a running vLLM of the same base model, `rollout_url` or
    # AOI_LLM_BASE_URL, with the adapter reloaded each step and its guided decoding). A small
    # model needs a grammar to answer anything a reward can rank.
    rollout: str = Field("trl", pattern="^(trl|guided|vllm)$")
    rollout_url: str = ""


def load_config(path: Path) -> TrainConfig:
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise ConfigError(f"{path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a training configuration is a YAML mapping")
    try:
        return TrainConfig.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"{path}: {problems}") from None
