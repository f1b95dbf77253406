"""Sampling completions the way the Observer is served: held to the `ObserverDecision` JSON
schema by xgrammar, the grammar engine behind vLLM's guided decoding, compact (no free
whitespace, as `aoi llm serve` configures it). Without it a small model's samples are
prose, every reward is zero and GRPO has nothing to rank; with it the group differs in what
it decides, which is what training should shape. A custom rollout for TRL's GRPOTrainer
(`rollout_func`): one completion per prompt it is given, as TRL's own generation does."""

from __future__ import annotations

import json
from typing import Any

from agents.decisions import ObserverDecision


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
