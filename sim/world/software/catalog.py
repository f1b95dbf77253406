"""The image registry of the emulated cloud: which images exist, what software each holds,
and the Program a container runs given its image, command and args."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sim.world.lifecycle import Fate
from sim.world.software.base import Program

Obj = dict[str, Any]
# A factory builds the Program for a container, or returns None when the command names no
# executable in the image (the runtime then fails to start it, as containerd would).
ProgramFactory = Callable[["ImageEntry", list[str], list[str]], "Program | None"]


@dataclass(frozen=True)
class ImageEntry:
    """An image in the registry: the software in it and its baked-in configuration."""

    name: str
    software: str
    config: dict[str, Any] = field(default_factory=dict)
    size_bytes: int = 50_000_000
    pull_seconds: float = 2.0


@lru_cache(maxsize=1024)  # every look at a container asks for its program, by image
def normalize(ref: str) -> str:
    """`docker.io/library/mongo:4.4.6` -> `mongo:4.4.6`; a missing tag means `latest`."""
    name = ref.strip()
    for prefix in ("docker.io/library/", "docker.io/", "index.docker.io/library/"):
        if name.startswith(prefix):
            name = name[len(prefix) :]
            break
    last = name.rsplit("/", 1)[-1]
    if "@" not in last and ":" not in last:
        name += ":latest"
    return name


class Catalog:
    def __init__(self, images: list[ImageEntry], factories: dict[str, ProgramFactory]) -> None:
        self._images = {normalize(i.name): i for i in images}
        self._factories = factories
        self._programs: dict[tuple[str, tuple[str, ...], tuple[str, ...]], Program | None] = {}

    def add(self, entry: ImageEntry) -> None:
        self._images[normalize(entry.name)] = entry

    def image(self, ref: str) -> ImageEntry | None:
        return self._images.get(normalize(ref))

    def one_shot(self, container: Obj, command: list[str]) -> Program | None:
        """The program `command` would be in the container's image (what `kubectl exec`
        starts), or None when the image has no such binary."""
        entry = self.image(container.get("image", ""))
        factory = self._factories.get(entry.software) if entry is not None else None
        if entry is None or factory is None:
            return None
        return factory(entry, command, [])

    @staticmethod
    def qualified(ref: str) -> str:
        name = normalize(ref)
        first = name.split("/", 1)[0]
        if "/" not in name:
            return f"docker.io/library/{name}"
        if "." in first or ":" in first:
            return name
        return f"docker.io/{name}"

    def program_for(self, container: Obj) -> Program | None:
        """The program a container spec runs, or None (unknown image or no such binary)."""
        entry = self.image(container.get("image", ""))
        if entry is None:
            return None
        command = [str(c) for c in container.get("command") or []]
        args = [str(a) for a in container.get("args") or []]
        key = (normalize(entry.name), tuple(command), tuple(args))
        if key not in self._programs:
            factory = self._factories.get(entry.software)
            if factory is None:
                raise KeyError(f"image {entry.name} names unknown software {entry.software!r}")
            self._programs[key] = factory(entry, command, args)
        return self._programs[key]

    @staticmethod
    def exec_error(container: Obj) -> Fate:
        executable = (container.get("command") or container.get("args") or ["<entrypoint>"])[0]
        message = (
            "failed to create containerd task: failed to create shim task: OCI runtime "
            "create failed: runc create failed: unable to start container process: "
            f'error during container init: exec: "{executable}": executable file not '
            "found in $PATH: unknown"
        )
        return Fate("exit", after=0.0, exit_code=128, reason="StartError", message=message)
