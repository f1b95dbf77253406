"""Trajectories survive JSON lines; the Observer's decision has a schema for guided decoding."""

from __future__ import annotations

from agents.models import (
    Finding,
    Iteration,
    ObserverDecision,
    ProposedAction,
    Trajectory,
)
from agents.tools.record import ToolCall


def test_trajectory_round_trips_as_one_json_line() -> None:
    finding = Finding(
        detected=True,
        faulty_components=["user-service"],
        system_level="Virtualization",
        fault_type="Misconfiguration",
        root_cause="targetPort 9999",
        confidence=0.9,
        proposed_actions=[ProposedAction(command=["kubectl", "patch"], rationale="fix port")],
    )
    trajectory = Trajectory(
        id="t1",
        agent="rules",
        iterations=[
            Iteration(
                index=0,
                calls=[
                    ToolCall(
                        tool="kubectl",
                        request=["kubectl", "get", "pods"],
                        role="probe",
                        decision="allow",
                        ran=True,
                        exit_code=0,
                    )
                ],
            )
        ],
        finding=finding,
    )
    line = trajectory.to_json_line()
    assert line.endswith("\n") and line.count("\n") == 1
    again = Trajectory.from_json_line(line)
    assert again == trajectory and again.steps == 1 and again.version == 1


def test_the_decision_schema_constrains_what_a_model_may_say() -> None:
    schema = ObserverDecision.model_json_schema()
    steps = schema["properties"]["next_action"]["discriminator"]["mapping"]
    assert sorted(steps) == ["executor", "probe", "submit"]
    assert "submission" in schema["$defs"]["SubmitStep"]["required"]
    assert schema["additionalProperties"] is False
    assert schema["properties"]["hypothesis"]["maxLength"] == 300
    fixes = schema["$defs"]["Submission"]["properties"]["fixes"]
    assert fixes["maxItems"] == 3 and fixes["items"]["maxLength"] == 300
