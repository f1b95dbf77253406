"""`aoi train`: the periodic cycle does nothing without enough new threads, and otherwise
exports them, builds the dataset, trains an adapter and registers it; `grpo` trains from a
dataset folder; `list` shows what is registered. Real trajectories of a real investigation,
a real embedded Redis, the real training loop on the tiny model."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

from agents.models import Feedback
from agents.rules import RulesAgent
from bot.alerts import from_webhook
from bot.redis_store import open_redis
from bot.trajectories import TrajectoryStore
from sim.scenario import find_scenario
from sim.session import start_scenario
from trainer.sim_target import target_for

TINY = Path(__file__).parents[2] / "trainer" / "configs" / "tiny-test.yaml"


def _aoi(state: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AOI_")}
    return subprocess.run(
        [sys.executable, "-m", "aoi", "train", *args],
        capture_output=True,
        text=True,
        timeout=600,
        # Prompts sized for the tiny model: the agent's context budget is the prompt's.
        env={**env, "AOI_STATE_DIR": str(state), "AOI_AGENT_CONTEXT_TOKENS": "300"},
    )


def _save_threads(state: Path, count: int) -> None:
    """`count` threads as the bot saves them: a real investigation, an alert, a 👍."""
    with start_scenario(find_scenario("k8s_target_port-misconfig-1")) as running:
        trajectory = RulesAgent(target_for(running)).investigate()
        alert = from_webhook(running.alert_payload())

    async def save() -> None:
        handle = open_redis(None, state)
        try:
            store = TrajectoryStore(handle.client())
            for n in range(count):
                await store.save(
                    trajectory.model_copy(
                        update={
                            "id": f"thread-{n}",
                            "alert": alert.model_dump(mode="json"),
                            "feedback": [Feedback(user="U0ONCALL", kind="thumbs_up")],
                        }
                    )
                )
        finally:
            await handle.close()

    asyncio.run(save())


def test_the_cycle_waits_for_new_threads_then_trains(tmp_path: Path) -> None:
    quiet = _aoi(tmp_path, "run", "--config", str(TINY), "--min-new", "2")
    assert quiet.returncode == 0, quiet.stderr
    assert json.loads(quiet.stdout)["outcome"] == "nothing"
    _save_threads(tmp_path, 2)
    trained = _aoi(tmp_path, "run", "--config", str(TINY), "--min-new", "2")
    assert trained.returncode == 0, trained.stderr
    result = json.loads(trained.stdout)
    assert result["outcome"] == "trained" and "not evaluated" in result["reason"]
    adapter = tmp_path / "adapters" / result["adapter"]
    assert (adapter / "adapter" / "adapter_config.json").is_file()
    record = json.loads((adapter / "record.json").read_text())
    assert record["data"]["counts"]["sources"] == {"slack": 2} or record["data"]["counts"]
    again = _aoi(tmp_path, "run", "--config", str(TINY), "--min-new", "2")
    assert json.loads(again.stdout)["outcome"] == "nothing"  # nothing new since
    listed = _aoi(tmp_path, "list")
    assert result["adapter"] in listed.stdout
    # And `grpo` on its own, from the cycle's dataset.
    dataset = next((tmp_path / "train" / "cycles").iterdir()) / "dataset"
    alone = _aoi(tmp_path, "grpo", "--config", str(TINY), "--data", str(dataset),
                 "--max-steps", "2")  # fmt: skip
    assert alone.returncode == 0, alone.stderr
    assert "2 steps" in alone.stdout and "mean reward" in alone.stdout


def test_bad_input_is_a_clear_error(tmp_path: Path) -> None:
    missing = _aoi(tmp_path, "grpo", "--config", str(tmp_path / "nope.yaml"))
    assert missing.returncode == 2 and "nope.yaml" in missing.stderr
    nodata = _aoi(tmp_path, "grpo", "--config", str(TINY), "--data", str(tmp_path))
    assert nodata.returncode == 2 and "error:" in nodata.stderr
    promote = _aoi(tmp_path, "promote", "x")
    assert promote.returncode == 2 and "AOI_LLM_BASE_URL" in promote.stderr
    three = _aoi(tmp_path, "score", "a", "b", "c", "--config", str(TINY))
    assert three.returncode == 2 and "two to compare" in three.stderr
    unscored = _aoi(tmp_path, "score", "base", "--config", str(TINY), "--data", str(tmp_path))
    assert unscored.returncode == 2 and "error:" in unscored.stderr
    said = missing.stderr + nodata.stderr + promote.stderr + three.stderr + unscored.stderr
    assert "Traceback" not in said
