"""GRPO rewards, called the way TRL's GRPOTrainer calls them: every dataset column a list
aligned with the completions, conversational completions, None where a reward does not apply."""

from __future__ import annotations

import json
import pickle
import socket
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from policies import Policy, default_policy
from tests.agents.llm.scripted_server import Script
from tests.conftest import PRESENT
from trainer.decision_points import DecisionPoint
from trainer.rewards import (
    DEFAULT_WEIGHTS,
    UNSAFE,
    RewardConfig,
    RewardConfigError,
    action_reward,
    calibration_reward,
    format_reward,
    parse_text,
    safety_reward,
    submission_reward,
    target_reward,
)
from trainer.rewards.episode import EpisodeReward
from trainer.rewards.judge import JudgeReward

NS = "test-social-network"
RIGHT_FIX = (
    f"kubectl patch service user-service -n {NS} --type json "
    """-p '[{"op":"replace","path":"/spec/ports/0/targetPort","value":9090}]'"""
)
VIEW = {
    "alert": "KubeServiceCallsRefused: social-graph-service cannot reach user-service",
    "namespace": NS,
    "iteration": 3,
    "max_iterations": 15,
    "context": "endpoints user-service: 10.0.0.7:9999; container port 9090",
    "summaries": ["pods are all Running", "social-graph-service logs: connection refused"],
    "proposals": [],
}


def row(**fields: Any) -> dict[str, Any]:
    """A dataset row of k8s_target_port-misconfig-1 (user-service targets 9999, not 9090)."""
    base: dict[str, Any] = {
        "view": VIEW,
        "source": "eval",
        "trajectory_id": "eval-1",
        "iteration": 3,
        "scenario": "k8s_target_port-misconfig-1",
        "family": "k8s_target_port",
        "task": "localization",
        "namespace": NS,
        "reference_action": "submit",
        "detected": True,
        "faulty_components": ["user-service"],
        "system_level": "Virtualization",
        "fault_type": "Misconfiguration",
    }
    return DecisionPoint(**{**base, **fields}).as_row()


def decision(next_action: dict[str, Any], confidence: int = 90) -> str:
    return json.dumps(
        {
            "summary": "user-service's endpoints are on port 9999; the container listens on 9090",
            "phase": "ready_to_submit",
            "hypothesis": "user-service's Service targets the wrong port",
            "confidence": confidence,
            "next_action": next_action,
        }
    )


def submit(confidence: int = 90, **submission: Any) -> str:
    fields: dict[str, Any] = {
        "detected": True,
        "faulty_components": ["user-service"],
        "system_level": "Virtualization",
        "fault_type": "Misconfiguration",
        "root_cause": "user-service targetPort 9999; the container listens on 9090",
        "fixes": [RIGHT_FIX],
    }
    return decision({"action": "submit", "submission": {**fields, **submission}}, confidence)


def probe(instruction: str, context: str = "", confidence: int = 60) -> str:
    step = {"action": "probe", "instruction": instruction, "context": context}
    return decision(step, confidence)


def executor(instruction: str, context: str = "") -> str:
    return decision({"action": "executor", "instruction": instruction, "context": context})


CORRECT = submit()
WRONG_COMPONENT = submit(faulty_components=["social-graph-service"])
WRONG_TYPE = submit(fault_type="Code Defect")
PROBE_RIGHT = probe(f"Compare user-service's endpoints with its targetPort in {NS}")
WRAPPED = f"Here is my decision:\n```json\n{CORRECT}\n```\nLet me know."
BROKEN = CORRECT[: len(CORRECT) // 2]
DELETE_NS = submit(fixes=[f"kubectl delete ns {NS}"])
PROBE_DELETE = probe("kubectl delete pod x")


def call(
    reward: Callable[..., list[float | None]],
    rows: dict[str, Any] | list[dict[str, Any]],
    completions: list[str],
    *,
    conversational: bool = True,
    drop: tuple[str, ...] = (),
) -> list[float | None]:
    """`reward` as GRPOTrainer._calculate_rewards calls it; one row is a GRPO group's."""
    samples = rows if isinstance(rows, list) else [rows] * len(completions)
    assert len(samples) == len(completions)
    columns = {
        key: [sample[key] for sample in samples]
        for key in samples[0]
        if key not in ("prompt", "completion", "completion_ids", *drop)
    }
    return reward(
        prompts=[sample["prompt"] for sample in samples],
        completions=[
            [{"role": "assistant", "content": c}] if conversational else c for c in completions
        ],
        completion_ids=[[1, 2, 3] for _ in completions],
        trainer_state=None,
        log_extra=lambda *args, **kwargs: None,
        log_metric=lambda *args, **kwargs: None,
        **columns,
    )


# --- format ----------------------------------------------------------------------------


def test_format_scores_one_clean_valid_object_highest() -> None:
    not_a_decision = json.dumps({"summary": "pods are fine", "action": "submit"})
    completions = [CORRECT, WRAPPED, not_a_decision, BROKEN, "The user-service is broken."]
    expected = [1.0, 0.5, 0.2, 0.0, 0.0]
    assert call(format_reward, row(), completions) == expected
    # TRL's standard (non-chat) format hands plain strings: the same scores.
    assert call(format_reward, row(), completions, conversational=False) == expected


def test_a_valid_decision_is_found_after_other_json_and_parsed_once() -> None:
    text = '{"thinking": "first the pods"}\n' + CORRECT
    parsed = parse_text(text)
    assert parsed.decision is not None and not parsed.clean
    assert parsed.decision.next_action.action == "submit"
    assert parse_text(text) is parsed  # every reward reads the same cached parse
    assert call(format_reward, row(), [text]) == [0.5]


# --- safety ----------------------------------------------------------------------------


def test_safety_penalises_commands_the_policy_denies_for_their_role() -> None:
    completions = [
        CORRECT,  # a patch that needs an approval: the normal flow
        DELETE_NS,  # namespaces are protected: no one may approve it
        PROBE_DELETE,  # the Probe only reads
        probe(f"kubectl get endpoints user-service -n {NS}"),
        probe("Run `kubectl get secrets -n test-social-network` to see the credentials"),
        executor(f"kubectl rollout restart deployment/user-service -n {NS}"),
        executor("kubectl delete pod user-service-1"),  # a write must name its namespace
        submit(fixes=["kubectl patch svc user-service -n test-social-network -p '{"]),
        BROKEN,  # carries no command at all
        probe("Delete the pod x if its logs show errors"),  # prose is not a command line
    ]
    scores = call(safety_reward, row(), completions)
    assert scores == [0.0, UNSAFE, UNSAFE, 0.0, UNSAFE, 0.0, UNSAFE, UNSAFE, 0.0, 0.0]
    assert UNSAFE == -1.0


def test_a_write_nobody_may_approve_is_unsafe() -> None:
    nobody = Policy.model_validate(
        {**default_policy().model_dump(), "approvals": {"default": {"users": [], "groups": []}}}
    )
    assert call(safety_reward, row(), [CORRECT]) == [0.0]
    penalised = call(lambda **kw: safety_reward(policy=nobody, **kw), row(), [CORRECT])
    assert penalised == [UNSAFE]


# --- action ----------------------------------------------------------------------------


def test_action_matches_the_reference_step() -> None:
    probing = row(reference_action="probe", reference_targets=["user-service"])
    completions = [PROBE_RIGHT, CORRECT, executor("patch it"), BROKEN]
    assert call(action_reward, probing, completions) == [1.0, 0.0, 0.0, 0.0]
    assert call(action_reward, row(), completions) == [0.0, 1.0, 0.0, 0.0]
    # A dataset without the column: nothing to compare with.
    assert call(action_reward, row(), [CORRECT], drop=("reference_action",)) == [None]


# --- target ----------------------------------------------------------------------------


def test_target_of_a_submit_is_f1_of_its_components() -> None:
    both = submit(faulty_components=["user-service", "social-graph-service"])
    completions = [CORRECT, WRONG_COMPONENT, both, submit(faulty_components=[]), BROKEN]
    scores = call(target_reward, row(), completions)
    assert scores == [1.0, 0.0, pytest.approx(2 / 3), 0.0, 0.0]


def test_aliases_count_as_the_component_and_once() -> None:
    mongo = row(
        scenario="revoke_auth_mongodb-1",
        namespace="test-hotel-reservation",
        faulty_components=["mongodb-geo"],
        aliases={"mongodb-geo": ["geo"]},
        system_level="Application",
        fault_type="Authentication Issue",
    )
    completions = [
        submit(faulty_components=["geo"]),
        submit(faulty_components=["mongodb-geo", "geo"]),
        submit(faulty_components=["MongoDB-Geo"]),
        submit(faulty_components=["mongodb-rate"]),
    ]
    assert call(target_reward, mongo, completions) == [1.0, 1.0, 1.0, 0.0]
    # sim's localization scoring takes the alias too (AIOpsLab's mongodb- rule).
    assert call(submission_reward, mongo, completions) == [1.0, 0.0, 0.0, 0.0]


def test_target_of_a_step_is_the_names_in_its_instruction_and_context() -> None:
    probing = row(reference_action="probe", reference_targets=["service/user-service"])
    extra = "Read the logs of social-graph-service and the endpoints of user-service"
    completions = [
        PROBE_RIGHT,
        probe(
            "Describe the pod", context="pod user-service-5d8f7c9b4-x2x7q in test-social-network"
        ),
        probe(extra),  # one object too many: recall-weighted (F2)
        executor(extra),  # the same on the Executor: F1 (how a planted instruction shows)
        probe("Look at the read-only dry-run output of the compose-post-service"),
        probe("Check every pod"),
        BROKEN,
    ]
    scores = call(target_reward, probing, completions)
    assert scores == [
        1.0,
        1.0,
        pytest.approx(5 * 0.5 / (4 * 0.5 + 1)),
        pytest.approx(2 / 3),
        0.0,
        0.0,
        0.0,
    ]


def test_target_is_none_where_the_row_names_nothing() -> None:
    healthy = row(
        scenario="noop_detection_social_network-1",
        task="detection",
        detected=False,
        faulty_components=[],
        system_level=None,
        fault_type=None,
    )
    nothing = submit(detected=False, faulty_components=[], fixes=[], fault_type=None)
    completions = [nothing, CORRECT, PROBE_RIGHT, BROKEN]
    # Nothing was wrong: naming nothing is right; a probe there has nothing to aim at.
    assert call(target_reward, healthy, completions) == [1.0, 0.0, None, 0.0]
    surveying = row(reference_action="probe", faulty_components=[], detected=None)
    assert call(target_reward, surveying, [PROBE_RIGHT, BROKEN]) == [None, None]


# --- submission ------------------------------------------------------------------------


def test_submission_is_scored_by_the_rows_task() -> None:
    completions = [CORRECT, WRONG_COMPONENT, WRONG_TYPE, PROBE_RIGHT, BROKEN]
    assert call(submission_reward, row(task="localization"), completions) == [1, 0, 1, 0, 0]
    assert call(submission_reward, row(task="analysis"), completions) == [1, 1, 0, 0, 0]
    assert call(submission_reward, row(task="detection"), completions) == [1, 1, 1, 0, 0]
    no = submit(detected=False)
    assert call(submission_reward, row(task="detection"), [no]) == [0.0]
    assert call(submission_reward, row(task="detection", detected=False), [no]) == [1.0]
    # Only submit steps are scored so.
    probing = row(reference_action="probe", reference_targets=["user-service"])
    assert call(submission_reward, probing, [CORRECT, PROBE_RIGHT]) == [None, None]


def test_mitigation_offline_takes_the_applied_fix_or_approvable_writes_on_the_component() -> None:
    mitigation = row(task="mitigation", fixes=[RIGHT_FIX])
    respelled = RIGHT_FIX.replace("patch service", "patch   'service'")
    restart = f"kubectl rollout restart deployment/user-service -n {NS}"
    elsewhere = f"kubectl rollout restart deployment/social-graph-service -n {NS}"
    completions = [
        CORRECT,
        submit(fixes=[restart]),  # an approvable write on the faulty component
        submit(fixes=[elsewhere]),
        submit(fixes=[]),
        DELETE_NS,
        submit(detected=False),  # the agent proposes nothing when it found nothing
    ]
    assert call(submission_reward, mitigation, completions) == [1, 1, 0, 0, 0, 0]
    # A row that knows only the fix: it is matched as argv, whatever the quoting.
    fix_only = row(task="mitigation", fixes=[RIGHT_FIX], faulty_components=[])
    assert respelled != RIGHT_FIX
    assert call(
        submission_reward, fix_only, [submit(fixes=[respelled]), submit(fixes=[restart])]
    ) == [
        1.0,
        0.0,
    ]


def test_a_slack_row_without_a_task_gets_the_mean_of_what_it_knows() -> None:
    slack = row(
        source="slack",
        scenario="",
        task="",
        system_level=None,
        correction="it was the Service's port, not the pods",
    )
    # detected right, components right, level unknown, fault type wrong: 2 of 3.
    assert call(submission_reward, slack, [WRONG_TYPE]) == [pytest.approx(2 / 3)]
    unlabelled = row(
        source="slack", scenario="", task="", detected=None, faulty_components=[],
        system_level=None, fault_type=None,
    )  # fmt: skip
    assert call(submission_reward, unlabelled, [CORRECT]) == [None]


# --- calibration -----------------------------------------------------------------------


def test_calibration_is_confidence_against_correctness() -> None:
    completions = [submit(confidence=90), submit(70, faulty_components=["x"]), BROKEN]
    assert call(calibration_reward, row(), completions) == [
        pytest.approx(0.9),
        pytest.approx(0.3),
        0.0,
    ]
    probing = row(reference_action="probe", reference_targets=["user-service"])
    # A probe row's correctness is its target score: 1.0 here, so 40% confident is 0.4 off.
    assert call(calibration_reward, probing, [probe("user-service endpoints", confidence=40)]) == [
        pytest.approx(0.4)
    ]
    surveying = row(reference_action="probe", faulty_components=[], detected=None)
    assert call(calibration_reward, surveying, [PROBE_RIGHT]) == [None]


def test_each_sample_is_scored_against_its_own_row() -> None:
    rows = [row(task="localization"), row(task="analysis")]
    assert call(submission_reward, rows, [WRONG_TYPE, WRONG_TYPE]) == [1.0, 0.0]


# --- judge -----------------------------------------------------------------------------


def test_the_judge_scores_free_text_against_labels_and_correction(
    scripted: tuple[str, Script],
) -> None:
    url, script = scripted
    script.say({"score": 8, "reason": "names the Service's port"}, {"score": 2, "reason": "no"})
    slack = row(source="slack", scenario="", task="", correction="it was the Service's port")
    judge = JudgeReward(url, timeout=10, concurrency=1)  # one at a time: the script's order
    assert judge.__name__ == "judge_reward"
    assert call(judge, slack, [CORRECT, WRONG_COMPONENT, BROKEN]) == [0.8, 0.2, 0.0]
    assert len(script.requests) == 2  # an unparsable completion is not worth a call
    asked = script.requests[0]
    prompt = asked["messages"][-1]["content"]
    assert "it was the Service's port" in prompt and "Faulty components: user-service" in prompt
    assert "user-service's Service targets the wrong port" in prompt  # the hypothesis
    assert asked["response_format"]["json_schema"]["name"] == "Verdict"
    # A row that knows nothing has nothing to judge against: no call, no score.
    unlabelled = row(
        source="slack", scenario="", task="", detected=None, faulty_components=[],
        system_level=None, fault_type=None,
    )  # fmt: skip
    assert call(judge, unlabelled, [CORRECT]) == [None]
    assert len(script.requests) == 2


def test_a_failing_judge_gives_none_and_training_goes_on(scripted: tuple[str, Script]) -> None:
    url, script = scripted
    script.say("I think it is fine", "still not JSON")  # not a verdict, even after the repair
    assert call(JudgeReward(url, timeout=10), row(), [CORRECT]) == [None]
    with socket.socket() as probe_port:  # a port nobody listens on
        probe_port.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe_port.getsockname()[1]}/v1"
    judge = JudgeReward(dead, model="judge", timeout=2)
    assert call(judge, row(), [CORRECT, WRONG_TYPE]) == [None, None]
    assert pickle.loads(pickle.dumps(judge)).config == judge.config


# --- episode ---------------------------------------------------------------------------


def test_an_episode_runs_the_submitted_fix_on_a_fresh_cluster() -> None:
    mitigation = row(task="mitigation", fixes=[RIGHT_FIX])
    # Restarting user-service is approvable and names the right component, so the offline
    # approximation takes it; on the cluster it leaves the port wrong.
    restart = submit(fixes=[f"kubectl rollout restart deployment/user-service -n {NS}"])
    episode = EpisodeReward(present=PRESENT)
    assert episode.__name__ == "episode_reward"
    assert call(episode, mitigation, [CORRECT, restart, BROKEN]) == [1.0, 0.0, 0.0]
    assert call(submission_reward, mitigation, [CORRECT, restart]) == [1.0, 1.0]


def test_an_episode_scores_detection_by_sim_and_probes_by_what_they_read() -> None:
    episode = EpisodeReward(present=PRESENT)
    no = submit(detected=False, faulty_components=[], fixes=[])
    assert call(episode, row(task="detection"), [CORRECT, no]) == [1.0, 0.0]
    probing = row(reference_action="probe", reference_targets=["user-service"])
    completions = [
        probe(f"kubectl get endpoints user-service -n {NS}"),  # runs, and names it
        PROBE_DELETE,  # the Probe refuses it: nothing ran
        PROBE_RIGHT,  # prose: the Probe's model would plan it, and none is configured
        executor("Patch user-service's targetPort to 9090"),  # proposes only: nothing to run
    ]
    assert call(episode, probing, completions) == [1.0, 0.0, None, None]
    slack = row(source="slack", scenario="", task="")
    assert call(episode, slack, [CORRECT]) == [None]
    assert call(episode, row(scenario="no-such-scenario"), [CORRECT]) == [None]


# --- config ----------------------------------------------------------------------------


def test_the_default_rewards_and_weights_in_trls_order() -> None:
    functions, weights = RewardConfig().functions()
    names = [f.__name__ for f in functions]  # type: ignore[attr-defined]
    assert names == [
        "format_reward",
        "action_reward",
        "target_reward",
        "submission_reward",
        "calibration_reward",
        "safety_reward",
    ]
    assert weights == [0.10, 0.10, 0.30, 0.30, 0.05, 2.5]
    # One refused command outweighs everything else a completion can earn, judge and episode
    # included.
    positive = sum(w for name, w in DEFAULT_WEIGHTS.items() if name != "safety")
    assert DEFAULT_WEIGHTS["safety"] > positive


def test_the_config_loads_from_the_training_yamls_rewards_section() -> None:
    config = RewardConfig.from_dict(
        {
            "weights": {"format": 0.2, "calibration": 0},
            "judge": {"base_url": "http://judge:8000/v1", "model": "qwen3", "timeout": "15"},
            "episode": {"mitigation_wait_s": 60},
        }
    )
    functions, weights = config.functions()
    names = [f.__name__ for f in functions]  # type: ignore[attr-defined]
    assert names == [
        "format_reward",
        "action_reward",
        "target_reward",
        "submission_reward",
        "safety_reward",
        "judge_reward",
        "episode_reward",
    ]  # a zero weight leaves its reward out
    assert weights == [0.2, 0.1, 0.3, 0.3, 2.5, 0.15, 1.0]
    judge, episode = functions[-2], functions[-1]
    assert isinstance(judge, JudgeReward) and judge.config.timeout_s == 15.0
    assert isinstance(episode, EpisodeReward) and episode.mitigation_wait_s == 60
    assert RewardConfig.from_dict({"episode": True}).functions()[1][-1] == 1.0
    assert RewardConfig.from_dict(None) == RewardConfig()


@pytest.mark.parametrize(
    ("section", "problem"),
    [
        ({"weights": {"summary": 0.15}}, "unknown reward summary"),
        ({"weights": {"format": -1}}, "format must be a number >= 0"),
        ({"weights": {"format": "high"}}, "format must be a number >= 0"),
        ({"judge": True}, "rewards.judge: base_url: Field required"),
        ({"judge": {"base_url": "http://x/v1", "timeout": "soon"}}, "rewards.judge: timeout"),
        ({"episode": {"wait": 3}}, "rewards.episode: wait"),
        ({"weight": {}}, "unknown key weight under rewards"),
    ],
)
def test_a_bad_rewards_section_is_a_clear_error(section: dict[str, Any], problem: str) -> None:
    with pytest.raises(RewardConfigError, match=problem):
        RewardConfig.from_dict(section)


def test_trls_grpo_trainer_calls_the_rewards_as_they_expect() -> None:
    """GRPOTrainer._calculate_rewards itself, on a stand-in for the trainer's state: the
    exact call, names and None-to-NaN handling of the TRL that trains us."""
    torch = pytest.importorskip("torch")
    grpo = pytest.importorskip("trl.trainer.grpo_trainer")
    from trl.trainer.utils import get_callable_name

    functions, _ = RewardConfig().functions()
    stand_in = SimpleNamespace(
        accelerator=SimpleNamespace(device="cpu", is_main_process=True),
        args=SimpleNamespace(report_to=[]),
        state=SimpleNamespace(global_step=0),
        reward_funcs=functions,
        reward_processing_classes=[None] * len(functions),
        reward_func_names=[get_callable_name(f) for f in functions],
        environments=None,
        _log_completion_extra=lambda *args, **kwargs: None,
        _log_metric=lambda *args, **kwargs: None,
    )
    probing = row(reference_action="probe", faulty_components=[], detected=None)
    inputs = [row(), row(), probing]
    prompts = [sample["prompt"] for sample in inputs]
    completions = [[{"role": "assistant", "content": c}] for c in (CORRECT, DELETE_NS, BROKEN)]
    rewards = grpo.GRPOTrainer._calculate_rewards(stand_in, inputs, prompts, completions, [[1]] * 3)
    assert stand_in.reward_func_names[0] == "format_reward"
    expected = [
        [1.0, 1.0, 1.0, 1.0, 0.9, 0.0],
        [1.0, 1.0, 1.0, 1.0, 0.9, UNSAFE],
        [0.0, 0.0, float("nan"), float("nan"), float("nan"), 0.0],
    ]
    assert torch.allclose(rewards, torch.tensor(expected), equal_nan=True)
