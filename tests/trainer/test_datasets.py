"""The decision-point dataset, built from a real `aoi eval` run (one train family, one test
family), a Slack export written by hand, and llm-agent trajectories built by hand: views as
the Observer saw them, labels, de-duplication, the family split, redaction, the manifest."""

from __future__ import annotations

import hashlib
import json
import shlex
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from agents.compressor import Compressor
from agents.decisions import ExecutorStep, ObserverDecision, ProbeStep, Submission, SubmitStep
from agents.models import Execution, Feedback, Finding, Iteration, Signal, Trajectory
from agents.observer import OBSERVER_PROMPT
from agents.tools.record import ToolCall
from bot.alerts import Alert
from sim.scenario import find_scenario
from trainer.datasets import (
    DatasetError,
    GroundTruth,
    Manifest,
    build_dataset,
    decision_points,
    load_dataset_dir,
)
from trainer.datasets.views import PROPOSALS_READY, rebuild
from trainer.eval.runner import EvalConfig, run_eval

BUNDLED = Path(__file__).parents[2] / "sim" / "scenarios"
TRAIN_FAMILY, TEST_FAMILY = "k8s_target_port-misconfig", "revoke_auth_mongodb"
NAMESPACE = "test-social-network"


@pytest.fixture(scope="module")
def eval_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real `aoi eval` run of the rules agent: two scenarios, two tasks, two attempts."""
    root = tmp_path_factory.mktemp("eval")
    split = root / "split"
    split.mkdir()
    for name in (f"{TRAIN_FAMILY}-1", f"{TEST_FAMILY}-1"):
        shutil.copy(BUNDLED / f"{name}.yaml", split / f"{name}.yaml")
    out = root / "run"
    config = EvalConfig(
        out=out, split=str(split), tasks=("detection", "localization"), attempts=2, concurrency=1
    )
    run_eval(config)
    return out


@pytest.fixture(scope="module")
def built(eval_run: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Manifest, Path]:
    """The dataset of that run, with the default parameters."""
    out = tmp_path_factory.mktemp("dataset") / "ds"
    return build_dataset([eval_run], out), out


def rows_of(folder: Path) -> dict[str, list[dict[str, Any]]]:
    data = load_dataset_dir(folder)
    return {name: data[name].to_list() for name in ("train", "test")}


def test_eval_run_rows_are_the_observers_views_with_the_scenarios_labels(
    eval_run: Path, built: tuple[Manifest, Path]
) -> None:
    manifest, folder = built
    splits = rows_of(folder)
    rows = splits["train"] + splits["test"]
    records = [json.loads(line) for line in (eval_run / "results.jsonl").read_text().splitlines()]
    by_trajectory = {
        Trajectory.from_json_line(Path(r["trajectory"]).read_text()).id: r for r in records
    }
    # A rules trajectory is one decision point (the first look, then submit); identical
    # (prompt, ground truth) rows would be one.
    assert len(rows) + manifest.counts.skipped.get(
        "duplicate of an identical (prompt, ground truth) row", 0
    ) == len(records)
    unique = {(json.dumps(r["prompt"]), r["scenario"], r["task"]) for r in rows}
    assert len(unique) == len(rows)
    for row in rows:
        record = by_trajectory[row["trajectory_id"]]
        labels = find_scenario(record["scenario"]).labels
        assert (row["scenario"], row["task"], row["family"]) == (
            record["scenario"],
            record["task"],
            record["family"],
        )
        assert row["detected"] is labels.detected
        assert row["faulty_components"] == labels.faulty_components
        assert (row["system_level"], row["fault_type"]) == (labels.system_level, labels.fault_type)
        assert json.loads(row["aliases_json"]) == labels.aliases
        assert row["source"] == "eval" and row["iteration"] == 1
        assert row["reference_action"] == "submit"
        assert row["reference_targets"] == labels.faulty_components

        system, user = row["prompt"]
        assert system == {"role": "system", "content": OBSERVER_PROMPT}
        assert user["role"] == "user"
        text = user["content"]
        assert text.startswith("Alert: (none")  # the rules agent is given no alert
        assert f"Namespace: {row['namespace']}\nIteration 1 of 15." in text
        assert "Analyzer signals (strongest first):" in text
        assert '"apiVersion"' not in text and '"metadata"' not in text  # no raw JSON
        # The context is the Compressor's, over the first look's calls and signals.
        trajectory = Trajectory.from_json_line(Path(record["trajectory"]).read_text())
        calls = [c for i in trajectory.iterations for c in i.calls]
        context = Compressor(4000, None).compress(calls, trajectory.iterations[1].signals)
        assert json.loads(row["view_json"])["context"] == context
        assert text.endswith(context)

    # The families never share a side.
    assert {r["family"] for r in splits["train"]} == {TRAIN_FAMILY}
    assert {r["family"] for r in splits["test"]} == {TEST_FAMILY}
    counts = manifest.counts
    assert counts.rows == {"train": len(splits["train"]), "test": len(splits["test"])}
    assert counts.families == {
        "train": {TRAIN_FAMILY: len(splits["train"])},
        "test": {TEST_FAMILY: len(splits["test"])},
    }
    assert counts.sources == {"eval": len(rows)}
    (source,) = manifest.sources
    assert source.kind == "eval" and source.trajectories == len(records) == source.points
    assert source.sha256 == hashlib.sha256((eval_run / "results.jsonl").read_bytes()).hexdigest()
    assert manifest.parameters["max_iterations"] == 15
    assert TRAIN_FAMILY in manifest.parameters["families_for_train"]
    lines = [json.dumps(r, sort_keys=True, ensure_ascii=False) + "\n" for r in rows]
    assert manifest.sha256 == hashlib.sha256("".join(lines).encode()).hexdigest()
    saved = json.loads((folder / "manifest.json").read_text())
    assert saved["sha256"] == manifest.sha256

    from datasets import Dataset

    for name in ("train", "test"):
        parquet = Dataset.from_parquet(str(folder / f"{name}.parquet"))
        assert parquet.to_list() == splits[name]


def test_identical_rows_are_kept_once_and_the_hash_is_the_rows(
    eval_run: Path, built: tuple[Manifest, Path], tmp_path: Path
) -> None:
    once, _ = built
    copy = tmp_path / "copy"
    shutil.copytree(eval_run, copy)
    twice = build_dataset([copy, eval_run], tmp_path / "twice")
    assert twice.sha256 == once.sha256
    assert twice.counts.rows == once.counts.rows
    why = "duplicate of an identical (prompt, ground truth) row"
    # Two attempts of a deterministic agent may already give identical rows within one run:
    # those are dropped in each copy, and every row the first copy kept is dropped again.
    within = once.counts.skipped.get(why, 0)
    assert twice.counts.skipped[why] == sum(once.counts.rows.values()) + 2 * within
    assert [s.points for s in twice.sources] == [once.sources[0].points] * 2


def test_a_family_filter_moves_a_family_and_its_rows_to_train(
    eval_run: Path, tmp_path: Path
) -> None:
    manifest = build_dataset(
        [eval_run], tmp_path / "ds", families_for_train={TRAIN_FAMILY, TEST_FAMILY}
    )
    assert manifest.counts.rows["test"] == 0
    assert set(manifest.counts.families["train"]) == {TRAIN_FAMILY, TEST_FAMILY}
    assert len(load_dataset_dir(tmp_path / "ds")["test"]) == 0


# -- Slack exports -----------------------------------------------------------------------


def first_look(*, secret: str = "") -> list[Iteration]:
    """A surface scan and a depth read, as the rules agent records them."""
    objects = {
        "kind": "List",
        "items": [
            {"kind": "Deployment", "metadata": {"name": "user-service"}, "spec": {}},
            {"kind": "Deployment", "metadata": {"name": "frontend"}, "spec": {}},
            {"kind": "Service", "metadata": {"name": "user-service"}, "spec": {}},
            {"kind": "Event", "metadata": {"name": "frontend.17a2b3"}, "reason": "Pulled"},
        ],
    }
    raw = json.dumps(objects)
    get = ToolCall(
        tool="kubectl",
        request=["kubectl", "get", "deployments,services,events", "-o", "json", "-n", NAMESPACE],
        role="probe",
        decision="allow",
        ran=True,
        exit_code=0,
        raw=raw,
        output=raw,
    )
    log = f"connecting to user-service:9999\nerror: connection refused {secret}".rstrip()
    logs = ToolCall(
        tool="kubectl",
        request=["kubectl", "logs", "-l", "app=frontend", "-n", NAMESPACE],
        role="probe",
        decision="allow",
        ran=True,
        exit_code=0,
        raw=log,
        output=log,
    )
    signal = Signal(
        analyzer="endpoints",
        score=0.9,
        component="user-service",
        summary="Service user-service targets port 9999; its pods listen on 9090",
    )
    return [Iteration(index=0, calls=[get]), Iteration(index=1, calls=[logs], signals=[signal])]


FINDING = Finding(
    detected=True,
    faulty_components=["user-service"],
    system_level="Virtualization",
    fault_type="Misconfiguration",
    root_cause="targetPort 9999",
    confidence=0.9,
)
FIX = shlex.split(
    f"kubectl patch service user-service -n {NAMESPACE} --type json "
    """-p '[{"op":"replace","path":"/spec/ports/0/targetPort","value":9090}]'"""
)


def slack_alert() -> dict[str, Any]:
    alert = Alert(
        source="alertmanager",
        title="[FIRING:1] TargetDown",
        summary="user-service has no endpoints",
        labels={"alertname": "TargetDown", "namespace": NAMESPACE, "severity": "critical"},
        fingerprint="f00d",
    )
    return alert.model_dump(mode="json")


def write_export(folder: Path, trajectories: list[Trajectory]) -> Path:
    folder.mkdir(parents=True)
    lines = "".join(t.to_json_line() for t in trajectories)
    (folder / "trajectories.jsonl").write_text(lines)
    manifest = {
        "source": "aoi bot (Redis)",
        "exported": "2026-01-13T12:00:00+00:00",
        "since": None,
        "only": "all",
        "count": len(trajectories),
        "sha256": hashlib.sha256(lines.encode()).hexdigest(),
    }
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def slack_threads() -> list[Trajectory]:
    fixed = Trajectory(
        id="fixed",
        agent="rules",
        alert=slack_alert(),
        iterations=first_look(),
        finding=FINDING,
        executions=[
            Execution(command=FIX, applied=True, verified=True),
            Execution(
                command=["kubectl", "rollout", "restart", "deployment/frontend"],
                applied=True,
                verified=False,
            ),
        ],
        feedback=[Feedback(user="U1", kind="thumbs_up")],
        outcome="resolved",
    )
    corrected = Trajectory(
        id="corrected",
        agent="rules",
        alert=slack_alert(),
        iterations=first_look(),
        finding=FINDING.model_copy(update={"faulty_components": ["frontend"]}),
        feedback=[
            Feedback(user="U2", kind="thumbs_down"),
            Feedback(user="U2", kind="correction", text="it was the Service's port"),
            Feedback(user="U2", kind="correction", text="user-service's targetPort"),
        ],
    )
    failed = Trajectory(id="failed", agent="rules", alert=slack_alert(), outcome="failed")
    return [fixed, corrected, failed]


def test_slack_threads_carry_their_fixes_and_corrections(eval_run: Path, tmp_path: Path) -> None:
    export = write_export(tmp_path / "export", slack_threads())
    manifest = build_dataset([eval_run, export], tmp_path / "ds")
    splits = rows_of(tmp_path / "ds")
    slack = {r["trajectory_id"]: r for r in splits["train"] if r["source"] == "slack"}
    assert set(slack) == {"fixed", "corrected"}
    assert not [r for r in splits["test"] if r["source"] == "slack"]
    assert (
        manifest.counts.skipped["trajectory without a first look (the investigation never ran)"]
        == 1
    )

    fixed = slack["fixed"]
    assert fixed["fixes"] == [" ".join(FIX)]  # only the verified one
    assert fixed["detected"] is True and fixed["faulty_components"] == ["user-service"]
    assert (fixed["system_level"], fixed["fault_type"]) == ("Virtualization", "Misconfiguration")
    assert fixed["family"] == "Misconfiguration" and fixed["scenario"] == fixed["task"] == ""
    assert fixed["reference_action"] == "submit"
    assert fixed["reference_targets"] == ["user-service"]
    assert fixed["namespace"] == NAMESPACE  # from the alert: a Slack target names none here
    text = fixed["prompt"][1]["content"]
    assert text.startswith(f"Alert: {Alert.model_validate(slack_alert()).prompt()}\n")
    assert "TargetDown (critical) in test-social-network" in text
    assert "error: connection refused" in text and '"items"' not in text

    corrected = slack["corrected"]
    assert corrected["correction"] == "user-service's targetPort"  # the last one
    assert corrected["detected"] is None and corrected["faulty_components"] == []
    assert corrected["system_level"] is None and corrected["fault_type"] is None
    assert corrected["fixes"] == [] and corrected["family"] == "slack"
    assert corrected["reference_targets"] == []

    counts = manifest.counts
    assert counts.sources["slack"] == 2 and counts.sources["eval"] > 0
    assert counts.families["train"]["Misconfiguration"] == 1
    assert counts.families["train"]["slack"] == 1
    eval_source, slack_source = manifest.sources
    assert (eval_source.kind, slack_source.kind) == ("eval", "slack")
    declared = json.loads((export / "manifest.json").read_text())["sha256"]
    assert slack_source.export_sha256 == declared == slack_source.sha256
    assert slack_source.exported == "2026-01-13T12:00:00+00:00"
    assert (slack_source.trajectories, slack_source.points) == (3, 2)


def test_a_slack_export_that_does_not_match_its_manifest_is_refused(tmp_path: Path) -> None:
    export = write_export(tmp_path / "export", slack_threads())
    with (export / "trajectories.jsonl").open("a") as out:
        out.write(slack_threads()[0].model_copy(update={"id": "added"}).to_json_line())
    with pytest.raises(DatasetError, match="does not match its manifest"):
        build_dataset([export], tmp_path / "ds")
    assert not (tmp_path / "ds").exists()


def test_secrets_are_masked_in_prompts_and_ground_truth() -> None:
    trajectory = Trajectory(
        id="t",
        agent="rules",
        target={"namespace": NAMESPACE},
        iterations=first_look(secret="password=hunter2"),
    )
    truth = GroundTruth(
        source="slack",
        correction="log in with password=hunter2",
        fixes=["kubectl set env deployment/frontend DB_PASSWORD=hunter2"],
    )
    (point,) = decision_points(trajectory, truth)
    text = point.prompt()[1]["content"]
    assert "error: connection refused password=[REDACTED" in text
    row = json.dumps(point.as_row())
    assert "hunter2" not in row and row.count("[REDACTED") >= 3


# -- llm-agent trajectories --------------------------------------------------------------


def decision(summary: str, step: ProbeStep | ExecutorStep | SubmitStep) -> ObserverDecision:
    return ObserverDecision(
        summary=summary,
        phase="depth_analysis",
        hypothesis="targetPort",
        confidence=70,
        next_action=step,
    )


SUBMIT = SubmitStep(
    action="submit", submission=Submission(detected=True, faulty_components=["user-service"])
)
TRUTH = GroundTruth(
    source="eval",
    scenario="k8s_target_port-misconfig-1",
    family=TRAIN_FAMILY,
    task="localization",
    detected=True,
    faulty_components=["user-service"],
    succeeded=True,
)


def llm_trajectory(*observed: Iteration, notes: list[str] | None = None) -> Trajectory:
    look = first_look()
    look[1].compressed = "FIRST LOOK: user-service has no endpoints"
    return Trajectory(
        id="llm",
        agent="llm",
        alert="TargetDown: user-service has no endpoints",
        target={"namespace": NAMESPACE},
        iterations=[*look, *observed],
        notes=notes or [],
    )


def test_an_llm_trajectory_gives_a_point_per_observer_decision() -> None:
    probe = ProbeStep(
        action="probe",
        instruction="Read the endpoints of user-service",
        context="frontend logs refused connections to user-service:9999",
    )
    trajectory = llm_trajectory(
        Iteration(
            index=2,
            decision=decision("user-service has no endpoints", probe),
            compressed="PROBE: targetPort 9999, pods listen on 9090",
        ),
        Iteration(index=3, decision=decision("targetPort is wrong", SUBMIT)),
    )
    first, second = decision_points(trajectory, TRUTH)
    assert first.view == {
        "alert": "TargetDown: user-service has no endpoints",
        "namespace": NAMESPACE,
        "iteration": 1,
        "max_iterations": 15,
        "summaries": [],
        "proposals": [],
        "context": "FIRST LOOK: user-service has no endpoints",
    }
    assert first.reference_action == "probe"
    assert first.reference_targets == ["user-service", "frontend"]  # in order, Events aside
    assert second.view["iteration"] == 2
    assert second.view["summaries"] == ["user-service has no endpoints"]
    assert second.view["context"] == "PROBE: targetPort 9999, pods listen on 9090"
    assert (second.reference_action, second.reference_targets) == ("submit", ["user-service"])
    assert "1. user-service has no endpoints" in second.prompt()[1]["content"]

    # A failed run has no trustworthy step before its last: only the submit point is left.
    failed = TRUTH.model_copy(update={"succeeded": False})
    points, skipped = rebuild(trajectory, failed)
    assert [p.iteration for p in points] == [2] and points[0].reference_action == "submit"
    assert skipped == Counter({"earlier point of a run that failed (no trustworthy reference)": 1})


def test_executor_proposals_and_unusable_replies_are_in_later_views() -> None:
    strategy = ExecutorStep(
        action="executor",
        instruction="Point user-service at 9090",
        context="Service user-service, Deployment user-service",
    )
    command = " ".join(FIX)

    def dry_run(argv: list[str], ok: bool) -> ToolCall:
        return ToolCall(
            tool="kubectl",
            request=[*argv, "--dry-run=server"],
            role="executor",
            decision="needs_approval",
            ran=True,
            exit_code=0 if ok else 1,
        )

    wrong = ["kubectl", "patch", "deployment", "user-service", "-n", NAMESPACE, "-p", "{}"]
    trajectory = llm_trajectory(
        Iteration(
            index=2,
            decision=decision("the Service targets 9999", strategy),
            calls=[dry_run(wrong, False), dry_run(FIX, True)],
            compressed=PROPOSALS_READY + "service/user-service patched (server dry run)",
        ),
        Iteration(index=3),  # the model's reply was unusable
        Iteration(index=4, decision=decision("a fix is ready", SUBMIT)),
        notes=["iteration 2: the reply was not JSON", "unrelated note"],
    )
    points, skipped = rebuild(trajectory, TRUTH)
    assert [p.iteration for p in points] == [1, 3]
    assert skipped == Counter({"earlier point with an unusable reply": 1})
    first, last = points
    assert (first.reference_action, first.reference_targets) == ("executor", ["user-service"])
    assert first.view["proposals"] == []
    assert last.view["proposals"] == [command]  # the failed first attempt is not one
    assert last.view["summaries"] == ["the Service targets 9999"]
    assert last.view["context"] == (
        "(your last reply was unusable: the reply was not JSON)\n"
        f"{PROPOSALS_READY}service/user-service patched (server dry run)"
    )
    assert (
        f"Fix commands the Executor validated (dry run passed):\n- {command}"
        in (last.prompt()[1]["content"])
    )


# -- errors ------------------------------------------------------------------------------


def test_folders_that_are_no_source_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="neither an `aoi eval` run"):
        build_dataset([tmp_path], tmp_path / "ds")
    with pytest.raises(DatasetError, match="is not a folder"):
        build_dataset([tmp_path / "missing"], tmp_path / "ds")
    with pytest.raises(DatasetError, match="no sources"):
        build_dataset([], tmp_path / "ds")
    half = tmp_path / "half"
    half.mkdir()
    (half / "trajectories.jsonl").write_text("")
    with pytest.raises(DatasetError, match=r"no manifest\.json"):
        build_dataset([half], tmp_path / "ds")
    with pytest.raises(DatasetError, match="not a dataset folder"):
        load_dataset_dir(tmp_path)


def test_unusable_runs_are_skipped_and_counted_unless_nothing_is_left(
    eval_run: Path, tmp_path: Path
) -> None:
    run = tmp_path / "run"
    shutil.copytree(eval_run, run)
    lines = (run / "results.jsonl").read_text().splitlines()
    gone = json.loads(lines[0])
    (run / "trajectories" / Path(gone["trajectory"]).name).unlink()
    gone["trajectory"] = str(tmp_path / "elsewhere.jsonl")
    failed = {**json.loads(lines[1]), "trajectory": None, "error": "the model server failed"}
    kept = [json.dumps(gone), json.dumps(failed), *lines[2:], lines[2][:30]]
    (run / "results.jsonl").write_text("\n".join(kept) + "\n")
    manifest = build_dataset([run], tmp_path / "ds")
    assert manifest.counts.skipped["trajectory file missing"] == 1
    assert manifest.counts.skipped["results line that is not a result record"] == 1
    assert (
        manifest.counts.skipped["run without a trajectory (the attempt failed before it had one)"]
        == 1
    )
    assert manifest.sources[0].trajectories == len(lines) - 2

    (run / "results.jsonl").write_text(json.dumps(failed) + "\n")
    with pytest.raises(DatasetError, match=r"no decision points .*run without a trajectory"):
        build_dataset([run], tmp_path / "empty")


def test_a_dataset_that_no_longer_matches_its_manifest_is_refused(
    built: tuple[Manifest, Path], tmp_path: Path
) -> None:
    shutil.copytree(built[1], tmp_path / "ds")
    manifest = json.loads((tmp_path / "ds" / "manifest.json").read_text())
    manifest["sha256"] = "0" * 64
    (tmp_path / "ds" / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(DatasetError, match="do not match the manifest"):
        load_dataset_dir(tmp_path / "ds")
