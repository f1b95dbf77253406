"""Telemetry of the emulated cloud, all computed from the recorded history on one clock:

- history.py: every container that ran, its state and what its program observed, any time.
- traffic.py, snapshot.py: requests over each app's call graph at one moment (rates, outcome
  mixes, latency), the single source of request metrics and traces.
- metrics.py (+ kube_state.py, requests.py, deployments.py, autoscaling.py): the series
  Prometheus would have scraped; promql.py, functions.py, operators.py evaluate PromQL;
  prometheus.py serves Prometheus's HTTP API.
- traces.py, jaeger.py: sampled traces and Jaeger's query API.
- rules.yaml, alerts.py, alertmanager.py: alerting rules, their evaluation, and what
  Alertmanager sends (webhook v4, the default Slack message).
"""
