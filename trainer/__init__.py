"""Learning from trajectories: evaluation (`aoi eval`), datasets, rewards, GRPO, promotion."""
