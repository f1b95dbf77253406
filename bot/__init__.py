"""The Slack bot: intake of alerts, investigation jobs, threads, approvals and feedback."""
