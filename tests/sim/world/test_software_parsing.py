"""Programs read their command lines and environment as the real software does."""

from __future__ import annotations

from sim.world.software.stress import StressNg


def test_stress_ng_sizes_are_binary_and_cpu_is_per_worker() -> None:
    hog = StressNg(["--cpu", "4", "--cpu-load", "50", "--vm", "1", "--vm-bytes", "2G"])
    assert hog.cpu_millicores == 2000
    assert hog.memory_mib == 4 + 2048
    assert StressNg(["--vm-bytes=512M"]).memory_mib == 4 + 512
