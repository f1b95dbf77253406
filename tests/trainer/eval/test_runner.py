"""`aoi eval` end to end on a user's scenario folder: results, summary, charts, resume after an
interruption, refusal to mix runs, and `compare`."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from typer.testing import CliRunner

from aoi.cli import app

runner = CliRunner()
BUNDLED = Path(__file__).parents[3] / "sim" / "scenarios"


def test_eval_writes_results_resumes_and_compares(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    source = BUNDLED / "scale_pod_zero_social_net-1.yaml"
    (folder / "incident.yaml").write_text(source.read_text())
    out = tmp_path / "run"
    args = ["eval", "--split", str(folder), "--tasks", "detection,localization",
            "--attempts", "2", "--out", str(out)]  # fmt: skip
    first = runner.invoke(app, [*args, "--concurrency", "2"])
    assert first.exit_code == 0, first.output
    records = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert sorted((r["task"], r["attempt"]) for r in records) == [
        ("detection", 0), ("detection", 1), ("localization", 0), ("localization", 1)
    ]  # fmt: skip
    assert all(r["success"] for r in records), records
    assert all(Path(r["trajectory"]).is_file() and r["steps"] > 0 for r in records)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["k"] == 2 and summary["agent"] == "rules" and summary["seconds"] > 0
    assert summary["overall"] == {
        "problems": 2, "runs": 4, "successes": 4, "avg_at_1": 1.0, "avg_at_k": 1.0,
        "best_at_k": 1.0,
    }  # fmt: skip
    assert "| detection | 1 | 2 | 2 |" in (out / "summary.md").read_text()
    for chart in ("success_by_task", "success_by_family", "best_vs_avg"):
        assert (out / f"{chart}.png").read_bytes()[:4] == b"\x89PNG"

    again = runner.invoke(app, args)
    assert again.exit_code == 2 and "--resume" in again.output
    # An interruption leaves a record cut mid-line: resuming keeps the whole ones and
    # reruns only what is missing.
    lines = (out / "results.jsonl").read_text().splitlines()
    (out / "results.jsonl").write_text(lines[0] + "\n" + lines[1][:20])
    resumed = runner.invoke(app, [*args, "--resume"])
    assert resumed.exit_code == 0, resumed.output
    after = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert len(after) == 4 and after[0] == json.loads(lines[0])
    mixed = runner.invoke(app, ["eval", "--split", "everyday", "--out", str(out), "--resume"])
    assert mixed.exit_code == 2 and "different run" in mixed.output

    compared = runner.invoke(app, ["eval", "compare", str(out), str(out), "--json"])
    assert compared.exit_code == 0, compared.output
    result = json.loads(compared.stdout)
    assert result["overall"]["delta_avg"] == 0 and not result["worse"]
    assert "scale_pod_zero_social_net" in result["families"]
    missing = runner.invoke(app, ["eval", "compare", str(out), str(tmp_path)])
    assert missing.exit_code == 2 and "no summary.json" in missing.output


def test_bad_options_are_clear_errors(tmp_path: Path) -> None:
    wrong_task = runner.invoke(app, ["eval", "--tasks", "triage", "--out", str(tmp_path)])
    assert wrong_task.exit_code == 2 and "unknown task types" in wrong_task.output
    wrong_split = runner.invoke(app, ["eval", "--split", str(tmp_path / "x")])
    assert wrong_split.exit_code == 2 and "neither a split" in wrong_split.output
    no_model = runner.invoke(app, ["eval", "--agent", "llm", "--out", str(tmp_path)])
    assert no_model.exit_code == 2 and "AOI_LLM_BASE_URL" in no_model.output


def test_ctrl_c_leaves_a_folder_that_resumes(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    for name in ("scale_pod_zero_social_net-1", "k8s_target_port-misconfig-1"):
        (folder / f"{name}.yaml").write_text((BUNDLED / f"{name}.yaml").read_text())
    out = tmp_path / "run"
    aoi = str(Path(sys.executable).parent / "aoi")
    command = [aoi, "eval", "--split", str(folder), "--tasks", "detection,localization",
               "--out", str(out)]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    results = out / "results.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (results.exists() and results.read_text()):
        time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr and "--resume" in stderr and "Traceback" not in stderr
    kept = results.read_text().splitlines()
    assert 1 <= len(kept) < 4
    resumed = runner.invoke(app, [*command[1:], "--resume"])
    assert resumed.exit_code == 0, resumed.output
    assert len((out / "results.jsonl").read_text().splitlines()) == 4
