"""The world behind the API: controllers, scheduler and kubelets driven by the simulated clock,
and the programs running in the containers (what they need, what they log, how they fail)."""
