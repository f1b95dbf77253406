"""Trajectories to the GRPO dataset: one row per Observer decision point
(trainer/decision_points.py), from `aoi eval` runs and Slack exports.

- Views are rebuilt as the Observer saw them, and the reference step of each point is chosen
  by the rules in trainer/datasets/views.py: `submit` at the last point; the step taken at an
  earlier point only when the run succeeded and the Observer itself submitted; other earlier
  points are skipped.
- Ground truth (trainer/datasets/truth.py): a scenario's labels for eval runs; for Slack
  threads, the applied-and-verified fixes, the last correction, and the finding's labels
  only when people confirmed it (a thumbs-up or a verified fix, and no thumbs-down).
- Rows are redacted, de-duplicated on (prompt, ground truth), and split by fault family
  (trainer/datasets/build.py): eval families in `families_for_train` train, other eval
  families test, Slack rows train unless their family is held out; never one family on
  both sides."""

from trainer.datasets.build import Manifest, build_dataset, load_dataset_dir
from trainer.datasets.sources import DatasetError
from trainer.datasets.truth import GroundTruth
from trainer.datasets.views import decision_points

__all__ = [
    "DatasetError",
    "GroundTruth",
    "Manifest",
    "build_dataset",
    "decision_points",
    "load_dataset_dir",
]
