"""Telemetry of the emulated cloud: Prometheus metrics computed from the recorded history."""
