"""Named operations with validated parameters: fault primitives and mitigation checks are
both registries of these, so a scenario file can name them and be checked before it runs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

if TYPE_CHECKING:
    from sim.cluster import SimCluster

R = TypeVar("R")
Operation = Callable[["SimCluster", str, Any], R]


class Params(BaseModel):
    """Parameters of an operation; unknown keys are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class Entry(Generic[R]):
    name: str
    params: type[Params]
    run: Operation[R]
    summary: str


class Registry(Generic[R]):
    def __init__(self, what: str) -> None:
        self.what = what
        self.entries: dict[str, Entry[R]] = {}

    def register(
        self, name: str, params: type[Params], summary: str = ""
    ) -> Callable[[Operation[R]], Operation[R]]:
        def decorate(fn: Operation[R]) -> Operation[R]:
            self.entries[name] = Entry(name, params, fn, summary)
            return fn

        return decorate

    def __contains__(self, name: object) -> bool:
        return name in self.entries

    def problems(self, name: str, params: dict[str, Any]) -> list[str]:
        """What is wrong with calling `name` with `params` (empty when it can run)."""
        entry = self.entries.get(name)
        if entry is None:
            return [f"unknown {self.what} {name!r}; known: {', '.join(sorted(self.entries))}"]
        try:
            entry.params.model_validate(params)
        except ValidationError as exc:
            return [
                f"params.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
            ]
        return []

    def run(self, cluster: SimCluster, namespace: str, name: str, params: dict[str, Any]) -> R:
        entry = self.entries[name]
        return entry.run(cluster, namespace, entry.params.model_validate(params))
