"""What the bot exposes on /metrics for Prometheus: intake, acks, investigations,
approvals and executions. One registry per bot (tests run several bots in one process)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 3.0)


class BotMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "aoi_slack_requests", "Requests from Slack, by kind", ["kind"], registry=self.registry
        )
        self.ack_seconds = Histogram(
            "aoi_slack_ack_seconds",
            "Time from a Slack request's arrival to its HTTP answer",
            buckets=ACK_BUCKETS,
            registry=self.registry,
        )
        self.duplicates = Counter(
            "aoi_duplicates", "Slack retries and repeated alerts not investigated again",
            ["kind"], registry=self.registry,
        )  # fmt: skip
        self.incidents = Counter(
            "aoi_incidents", "Incidents opened, by source", ["source"], registry=self.registry
        )
        self.investigations = Counter(
            "aoi_investigations", "Investigations finished, by outcome", ["outcome"],
            registry=self.registry,
        )  # fmt: skip
        self.investigation_seconds = Histogram(
            "aoi_investigation_seconds", "Time from job start to the posted finding",
            buckets=(1, 2, 5, 10, 20, 30, 60, 120, 300, 600), registry=self.registry,
        )  # fmt: skip
        self.clicks = Counter(
            "aoi_fix_clicks", "Approve/Reject clicks, by result", ["result"],
            registry=self.registry,
        )  # fmt: skip
        self.executions = Counter(
            "aoi_executions", "Approved fixes run, by result", ["result"], registry=self.registry
        )
        self.feedback = Counter(
            "aoi_feedback", "Feedback on threads, by kind", ["kind"], registry=self.registry
        )

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
