"""Trajectories to the GRPO dataset: one row per Observer decision point
(trainer/decision_points.py), from `aoi eval` runs and Slack exports.

- Views are rebuilt as the Observer saw them, and the reference step of each point is chosen
  by the rules in trainer/datasets/views.py: `submit` at the last point; the step taken at an
  earlier point only when the run succeeded and the Observer itself submitted; other earlier
  points are skipped.
- Ground truth (trainer/datasets/truth.py): a scenario's labels for eval runs; for Slack
  threads, the applied-and-verified fixes, the last correction, and the finding's labels
  only when people confirmed it (a thumbs-up or a verified fix, and no thumbs-down)."""

from trainer.datasets.truth import GroundTruth
from trainer.datasets.views import decision_points

__all__ = ["GroundTruth", "decision_points"]
