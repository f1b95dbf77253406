"""Deployments unlike their siblings: an image from the same registry path as most of the
app's but another tag, or a command that is not the deployment's own name where every
sibling runs its own (HotelReservation's layout). The usual choice is the fix."""

from __future__ import annotations

import json
from collections import Counter

from agents.analyzers.observations import Obj, Observations
from agents.models import Signal


def odd_ones_out(obs: Observations) -> list[Signal]:
    """A deployment whose image, or whose command, departs from what its siblings share."""
    out = []
    deployments = obs.items("deployments")
    containers = [
        (d["metadata"]["name"], c)
        for d in deployments
        for c in d["spec"]["template"]["spec"].get("containers") or []
    ]
    follow_names = _commands_follow_names(deployments)
    for name, c in containers:
        image = c.get("image", "")
        owner = image.rsplit("/", 1)[0]
        siblings = Counter(
            oc.get("image", "")
            for other, oc in containers
            if other != name and oc.get("image", "").rsplit("/", 1)[0] == owner
        )
        if siblings and image not in siblings:
            usual, count = siblings.most_common(1)[0]
            if count >= 3 and count >= 0.75 * sum(siblings.values()):
                out.append(_image_signal(obs, name, c["name"], image, usual))
        command = c.get("command") or []
        if follow_names and command and command[0] != name:
            out.append(
                Signal(
                    analyzer="wrong_command",
                    score=0.9,
                    component=name,
                    summary=f"{name} runs `{' '.join(command)}`; its siblings each run "
                    "their own name",
                    evidence=[f"deploy/{name} command {command}"],
                    system_level="Application",
                    fault_type="Network/Storage Issue",
                    fixes=[
                        obs.fix(
                            "patch",
                            f"deployment/{name}",
                            "--type",
                            "json",
                            "-p",
                            json.dumps(
                                [
                                    {
                                        "op": "replace",
                                        "path": "/spec/template/spec/containers/0/command",
                                        "value": [name],
                                    }
                                ]
                            ),
                            why="run its own binary",
                        )
                    ],
                )
            )
    return out


def _image_signal(obs: Observations, name: str, container: str, image: str, usual: str) -> Signal:
    return Signal(
        analyzer="odd_image",
        score=0.88,
        component=name,
        summary=f"{name} runs {image}; its siblings run {usual}",
        evidence=[f"deploy/{name} image {image}"],
        system_level="Application",
        fault_type="Misconfiguration",
        fixes=[
            obs.fix(
                "set",
                "image",
                f"deployment/{name}",
                f"{container}={usual}",
                why="run the image its siblings run",
            )
        ],
    )


def _commands_follow_names(deployments: list[Obj]) -> bool:
    """Most deployments run a binary named after themselves (HotelReservation's layout)."""
    commands = [
        (d["metadata"]["name"], (c.get("command") or [None])[0])
        for d in deployments
        for c in d["spec"]["template"]["spec"].get("containers") or []
        if c.get("command")
    ]
    matching = sum(1 for name, binary in commands if binary == name)
    return len(commands) >= 4 and matching >= len(commands) - 1
