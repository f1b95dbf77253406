"""How fast a scenario's emulated cluster starts, and what it costs in memory.

Run by hand (`make bench` or `.venv/bin/python bench/sim_startup.py`); the figures go to
bench/README.md. Start = build the kind cluster, deploy the app, run 30 simulated minutes of
history with the fault injected, and serve it over HTTPS with a fresh certificate.
"""

from __future__ import annotations

import gc
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

from sim.scenario import bundled_scenarios
from sim.session import start_scenario

PRESENT = datetime(2026, 1, 13, 12, 0, 0, tzinfo=UTC)
REPEATS = 3


def rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    scenarios = list(bundled_scenarios().values())
    times: dict[str, list[float]] = defaultdict(list)
    held: dict[str, float] = {}
    first_get: list[float] = []
    baseline = rss_mib()
    with tempfile.TemporaryDirectory() as tmp:
        kubeconfig = Path(tmp) / "kubeconfig"
        for repeat in range(REPEATS):
            for scenario in scenarios:
                gc.collect()
                started = time.perf_counter()
                running = start_scenario(scenario, present=PRESENT, kubeconfig=kubeconfig)
                times[scenario.app].append(time.perf_counter() - started)
                if repeat == 0:
                    began = time.perf_counter()
                    subprocess.run(
                        [
                            "kubectl",
                            "get",
                            "pods",
                            "-A",
                            "--cache-dir",
                            f"{tmp}/cache-{scenario.id}",
                        ],
                        check=True,
                        capture_output=True,
                        env={**os.environ, "KUBECONFIG": str(kubeconfig)},
                    )
                    first_get.append(time.perf_counter() - began)
                running.stop()
        # Memory a running cluster holds, per app (tracemalloc slows Python: measured apart).
        for scenario in scenarios:
            if scenario.app in held:
                continue
            gc.collect()
            tracemalloc.start()
            running = start_scenario(scenario, present=PRESENT, serve=False)
            held[scenario.app] = tracemalloc.get_traced_memory()[0] / 2**20
            tracemalloc.stop()
            running.stop()
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {REPEATS} starts of each of "
        f"{len(scenarios)} scenarios"
    )
    print(f"{'app':<18} {'starts':>6} {'median s':>9} {'p90 s':>7} {'max s':>7} {'held MiB':>9}")
    for app in sorted(times):
        values = sorted(times[app])
        p90 = values[int(0.9 * (len(values) - 1))]
        print(
            f"{app:<18} {len(values):>6} {statistics.median(values):>9.3f} {p90:>7.3f} "
            f"{values[-1]:>7.3f} {held[app]:>9.1f}"
        )
    print(
        f"first `kubectl get pods -A` (new discovery cache): median "
        f"{statistics.median(first_get):.3f} s"
    )
    print(
        f"process RSS: {baseline:.0f} MiB before, {rss_mib():.0f} MiB after "
        f"{REPEATS * len(scenarios)} starts and stops"
    )


if __name__ == "__main__":
    main()
