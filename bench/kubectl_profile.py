"""Where a kubectl command's own CPU goes, by Go function (run by hand).

`.venv/bin/python bench/kubectl_profile.py [surface|logs] [RUNS]` (default `surface 20`)
serves AstronomyShop with the cart failure at a fixed present and runs what the rules agent
ran through kubectl before its first look went to the API client (2026-12-04) RUNS times
with kubectl's hidden `--profile=cpu` flag, then adds the samples up:
each function's share of all samples, inclusive and self. The profile starts once kubectl's
command runs, so the process start (Go's runtime and package inits, ~70 ms of a `kubectl
logs`) is outside it: compare with `GODEBUG=inittrace=1 kubectl version --client`.

No Go toolchain here, so the profile (gzipped protobuf, github.com/google/pprof's
profile.proto) is read with the few fields it needs.
"""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from sim.scenario import find_scenario
from sim.session import start_scenario
from trainer.sim_target import target_for

PRESENT = datetime(2026, 1, 13, 12, 0, 0, tzinfo=UTC)
SURFACE = "pods,deployments,replicasets,services,endpoints,events,pvc,configmaps,hpa,"
SURFACE += "podchaos,networkchaos,dnschaos"
COMMANDS = {
    "surface": ["get", SURFACE, "-o", "json"],
    "logs": [
        "logs", "-l", "app.kubernetes.io/component in (accounting,ad,cart,checkout,currency)",
        "--all-containers", "--prefix", "--tail=60",
    ],
}  # fmt: skip


def _varint(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, at


def _fields(data: bytes) -> Iterator[tuple[int, int | bytes]]:
    """(field number, value) of a protobuf message: varints as int, the rest as bytes."""
    at = 0
    while at < len(data):
        key, at = _varint(data, at)
        kind: int = key & 7
        value: int | bytes
        if kind == 0:
            value, at = _varint(data, at)
        elif kind == 2:
            size, at = _varint(data, at)
            value, at = data[at : at + size], at + size
        else:  # fixed 64 or 32 bits
            width = 8 if kind == 1 else 4
            value, at = data[at : at + width], at + width
        yield key >> 3, value


def _ints(value: int | bytes) -> list[int]:
    """A repeated integer field, packed or not."""
    if isinstance(value, int):
        return [value]
    out, at = [], 0
    while at < len(value):
        number, at = _varint(value, at)
        out.append(number)
    return out


def stacks(path: Path) -> Iterator[tuple[list[str], int]]:
    """(function names, leaf first; CPU nanoseconds) of each sample of a pprof profile."""
    strings: list[str] = []
    samples: list[tuple[list[int], list[int]]] = []
    locations: dict[int, list[int]] = {}
    functions: dict[int, int] = {}
    for number, value in _fields(gzip.decompress(path.read_bytes())):
        if not isinstance(value, bytes):
            continue
        if number == 6:  # string_table
            strings.append(value.decode())
        elif number == 2:  # sample: location_id = 1, value = 2
            parts: dict[int, list[int]] = {1: [], 2: []}
            for field, inner in _fields(value):
                parts.setdefault(field, []).extend(_ints(inner))
            samples.append((parts[1], parts[2]))
        elif number == 4:  # location: id = 1, line = 4 (function_id = 1)
            ident, lines = 0, []
            for field, inner in _fields(value):
                if field == 1 and isinstance(inner, int):
                    ident = inner
                elif field == 4 and isinstance(inner, bytes):
                    lines += [f for k, f in _fields(inner) if k == 1 and isinstance(f, int)]
            locations[ident] = lines
        elif number == 5:  # function: id = 1, name = 2
            found = dict(_fields(value))
            functions[int(found.get(1, 0))] = int(found.get(2, 0))
    for location_ids, values in samples:
        names = [strings[functions[f]] for loc in location_ids for f in locations.get(loc, [])]
        yield names, values[-1] if values else 0


def main(command: str, runs: int) -> None:
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    scenario = find_scenario("astronomy_shop_cart_service_failure-detection-1")
    with start_scenario(scenario, present=PRESENT) as running, tempfile.TemporaryDirectory() as d:
        target = target_for(running)
        base = [
            "kubectl",
            f"--kubeconfig={target.kubeconfig}",
            f"--cache-dir={target.kubectl_cache}",
        ]
        env = {**os.environ, "GOGC": "off", "GOMEMLIMIT": "512MiB"}  # as agents.tools.kubectl
        for run in range(runs):
            out = Path(d) / f"{run}.pprof"
            argv = [*base, *COMMANDS[command], "-n", running.namespace]
            argv += ["--profile=cpu", f"--profile-output={out}"]
            subprocess.run(argv, capture_output=True, env=env, check=True)
            for names, nanoseconds in stacks(out):
                if names:
                    own[names[0]] += nanoseconds
                for name in set(names):
                    inclusive[name] += nanoseconds
    total = sum(own.values()) or 1
    print(f"{command}: {runs} runs, {total / 1e6 / runs:.1f} ms of profiled CPU each")
    for title, counts in (("inclusive", inclusive), ("self", own)):
        print(f"--- {title}")
        for name, nanoseconds in counts.most_common(30):
            print(f"{nanoseconds / total:6.1%}  {name[:110]}")


if __name__ == "__main__":
    main(
        sys.argv[1] if len(sys.argv) > 1 else "surface",
        int(sys.argv[2]) if len(sys.argv) > 2 else 20,
    )
