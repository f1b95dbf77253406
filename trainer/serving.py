"""Telling a running vLLM about adapters (`VLLM_ALLOW_RUNTIME_LORA_UPDATING=True`):
`POST /v1/load_lora_adapter` and `/v1/unload_lora_adapter`, then requests name the adapter
as their model. Loading under a name that is taken replaces what it names."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any


class ServingError(RuntimeError):
    """vLLM refused or could not be reached, with what it said."""


def _post(base_url: str, path: str, body: dict[str, Any], timeout: float) -> tuple[int, str]:
    request = urllib.request.Request(
        f"{base_url.rstrip('/')}/{path}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")
    except (urllib.error.URLError, OSError) as exc:
        raise ServingError(f"cannot reach the model server at {base_url}: {exc}") from exc


def served_models(base_url: str, timeout: float = 10.0) -> list[str]:
    try:
        with urllib.request.urlopen(f"{base_url.rstrip('/')}/models", timeout=timeout) as response:
            return [m["id"] for m in json.loads(response.read())["data"]]
    except (urllib.error.URLError, OSError, ValueError, KeyError) as exc:
        raise ServingError(f"cannot list the models of {base_url}: {exc}") from exc


def unload_adapter(base_url: str, name: str, timeout: float = 60.0) -> bool:
    """Unload `name`; False when it was not loaded."""
    status, text = _post(base_url, "unload_lora_adapter", {"lora_name": name}, timeout)
    if status == 200:
        return True
    if status in (400, 404) and ("not" in text.lower() or "found" in text.lower()):
        return False
    raise ServingError(f"vLLM would not unload {name}: {status} {text[:300]}")


def load_adapter(base_url: str, name: str, path: Path, timeout: float = 120.0) -> None:
    """Serve the adapter in `path` as model `name` (replacing an adapter of that name)."""
    if not (path / "adapter_config.json").is_file():
        raise ServingError(f"{path} holds no PEFT adapter (adapter_config.json)")
    if name in served_models(base_url):
        unload_adapter(base_url, name, timeout)
    body = {"lora_name": name, "lora_path": str(path.resolve())}
    status, text = _post(base_url, "load_lora_adapter", body, timeout)
    if status != 200:
        raise ServingError(f"vLLM would not load {name} from {path}: {status} {text[:300]}")


def chat(base_url: str, body: dict[str, Any], timeout: float = 600.0) -> dict[str, Any]:
    """vLLM's answer to one `/chat/completions` request."""
    status, text = _post(base_url, "chat/completions", body, timeout)
    if status != 200:
        raise ServingError(f"{base_url} did not sample {body.get('model')}: {status} {text[:300]}")
    try:
        answer: dict[str, Any] = json.loads(text)
    except ValueError as exc:
        raise ServingError(f"{base_url} answered with no JSON: {text[:300]}") from exc
    return answer
