"""`aoi trajectories`: what the bot saved, listed, shown and exported for training, from
the same embedded Redis under AOI_STATE_DIR; bad options are clear errors."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

from agents.models import Feedback, Finding, Trajectory
from bot.redis_store import open_redis
from bot.trajectories import TrajectoryStore


def _aoi(state: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aoi", "trajectories", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "AOI_STATE_DIR": str(state)},
    )


async def _seed(state: Path) -> None:
    handle = open_redis(None, state)
    try:
        store = TrajectoryStore(handle.client())
        good = Trajectory(id="a1", agent="rules", alert={"title": "KubePodCrashLooping"},
                          finding=Finding(detected=True), outcome="resolved")  # fmt: skip
        bad = Trajectory(
            id="b2",
            agent="rules",
            alert={"title": "HighErrorRate"},
            feedback=[Feedback(user="U1", kind="thumbs_down")],
            notes=["password=hunter2 was in a log line"],
        )
        await store.save(good)
        await store.save(bad)
    finally:
        await handle.close()


def test_list_show_and_export(tmp_path: Path) -> None:
    asyncio.run(_seed(tmp_path))
    listed = _aoi(tmp_path, "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [json.loads(line)["id"] for line in listed.stdout.splitlines()] == ["a1", "b2"]
    failed = _aoi(tmp_path, "list", "--only", "failed")
    assert failed.stdout.split()[0] == "b2" and "a1" not in failed.stdout
    shown = _aoi(tmp_path, "show", "b2", "--json")
    assert json.loads(shown.stdout)["notes"] == ["password=[REDACTED:credential] was in a log line"]
    out = tmp_path / "export"
    exported = _aoi(tmp_path, "export", "--out", str(out), "--only", "failed", "--since", "7d")
    assert exported.returncode == 0, exported.stderr
    lines = (out / "trajectories.jsonl").read_text().splitlines()
    assert [Trajectory.from_json_line(line).id for line in lines] == ["b2"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["count"] == 1 and manifest["only"] == "failed"


def test_bad_options_are_clear_errors(tmp_path: Path) -> None:
    missing = _aoi(tmp_path, "show", "nope")
    assert missing.returncode == 1 and "no trajectory nope" in missing.stderr
    since = _aoi(tmp_path, "list", "--since", "last tuesday")
    assert since.returncode == 2 and "use a duration" in since.stderr
    only = _aoi(tmp_path, "list", "--only", "some")
    assert only.returncode == 2 and "use all or failed" in only.stderr
    assert "Traceback" not in missing.stderr + since.stderr + only.stderr
