"""Sampling completions the way the Observer is served: held to the `ObserverDecision` JSON
schema by xgrammar, the grammar engine behind vLLM's guided decoding, compact (no free
whitespace, as `aoi llm serve` configures it). Without it a small model's samples are
prose, every reward is zero and GRPO has nothing to rank; with it the group differs in what
it decides, which is what training should shape. A custom rollout for TRL's GRPOTrainer
(`rollout_func`): one completion per prompt it is given, as TRL's own generation does."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from agents.decisions import ObserverDecision
from agents.llm.client import response_format
from trainer.serving import chat


class GuidedRollout:
    def __init__(self, tokenizer: Any, vocab_size: int, max_new_tokens: int, temperature: float):
        import xgrammar as xgr

        info = xgr.TokenizerInfo.from_huggingface(tokenizer, vocab_size=vocab_size)
        schema = json.dumps(ObserverDecision.model_json_schema())
        self.grammar = xgr.GrammarCompiler(info).compile_json_schema(schema, any_whitespace=False)
        self.max_new_tokens = max_new_tokens
        self.temperature = temperature

    def __call__(self, prompts: list[Any], trainer: Any) -> dict[str, Any]:
        import torch
        from xgrammar.contrib.hf import LogitsProcessor

        tokenizer = trainer.processing_class
        texts = [
            tokenizer.apply_chat_template(p, tokenize=False, add_generation_prompt=True)
            if isinstance(p, list)
            else p
            for p in prompts
        ]
        prompt_ids = [tokenizer(t, add_special_tokens=False)["input_ids"] for t in texts]
        width = max(len(ids) for ids in prompt_ids)
        pad = tokenizer.pad_token_id
        input_ids = torch.tensor([[pad] * (width - len(ids)) + ids for ids in prompt_ids])
        mask = torch.tensor([[0] * (width - len(ids)) + [1] * len(ids) for ids in prompt_ids])
        model = trainer.accelerator.unwrap_model(trainer.model)
        training = model.training
        model.eval()
        try:
            with torch.no_grad():
                out = model.generate(
                    input_ids=input_ids.to(model.device),
                    attention_mask=mask.to(model.device),
                    logits_processor=[LogitsProcessor(self.grammar)],  # one per generate()
                    do_sample=True,
                    temperature=self.temperature,
                    max_new_tokens=self.max_new_tokens,
                    pad_token_id=pad,
                )
        finally:
            model.train(training)
        stops = {tokenizer.eos_token_id, pad}
        completion_ids = []
        for row in out[:, width:].tolist():
            end = next((i for i, token in enumerate(row) if token in stops), len(row))
            completion_ids.append(row[: end + 1] if end < len(row) else row)
        return {"prompt_ids": prompt_ids, "completion_ids": completion_ids, "logprobs": None}


class ServedRollout:
    """Sampling from a running vLLM that serves the same base model (`aoi llm serve`), with
    the adapter as trained so far loaded before each step's generation: a LoRA adapter is a
    few megabytes, saved and loaded in milliseconds (`/v1/load_lora_adapter`), so the samples
    come from the current policy, through vLLM's own guided decoding, at vLLM's speed. It is
    TRL's vLLM "server" mode, with weights synced the way production serves them."""

    def __init__(
        self,
        base_url: str,
        workdir: Path,
        max_new_tokens: int,
        temperature: float,
        name: str = "aoi-training-policy",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.workdir = workdir
        self.max_new_tokens = max_new_tokens
        self.temperature = temperature
        self.name = name
        self._loaded_step: int | None = None
        self.format = response_format(ObserverDecision)

    def __call__(self, prompts: list[Any], trainer: Any) -> dict[str, Any]:
        from concurrent.futures import ThreadPoolExecutor

        from trainer.serving import load_adapter

        step = int(trainer.state.global_step)
        if step != self._loaded_step:
            path = self.workdir / "policy"
            trainer.accelerator.unwrap_model(trainer.model).save_pretrained(path)
            load_adapter(self.base_url, self.name, path)
            self._loaded_step = step
        if not all(isinstance(prompt, list) for prompt in prompts):
            raise ValueError("rollout: vllm samples conversations (the datasets' prompts)")
        eos = trainer.processing_class.eos_token_id
        with ThreadPoolExecutor(max_workers=len(prompts)) as pool:
            answers = list(pool.map(self._sample, prompts))
        prompt_ids, completion_ids = [], []
        for prompt, (completion, finished) in answers:
            prompt_ids.append(prompt)
            # A sequence that stopped on its own ends in EOS for TRL, as its own generation's do.
            completion_ids.append([*completion, eos] if finished and completion[-1:] != [eos]
                                  else completion)  # fmt: skip
        return {"prompt_ids": prompt_ids, "completion_ids": completion_ids, "logprobs": None}

    def close(self) -> None:
        """Take the training policy off the server: production must not keep serving it."""
        from trainer.serving import unload_adapter

        if self._loaded_step is not None:
            unload_adapter(self.base_url, self.name)
            self._loaded_step = None

    def _sample(self, messages: Any) -> tuple[list[int], tuple[list[int], bool]]:
        body = {
            "model": self.name,
            "messages": messages,
            "max_tokens": self.max_new_tokens,
            "temperature": self.temperature,
            "response_format": self.format,
            "return_token_ids": True,
        }
        answer = chat(self.base_url, body)
        choice = answer["choices"][0]
        tokens = list(choice.get("token_ids") or [])
        return list(answer["prompt_token_ids"]), (tokens, choice.get("finish_reason") == "stop")
