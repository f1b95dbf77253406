"""What the Probe (and, for its own reads and approved writes, the Executor) can call: kubectl
through the policy, named and raw metric queries, and trace summaries. Every call returns a
`ToolCall` with its output redacted and capped, and is kept for the trajectory."""

from agents.tools.record import ToolCall, cap

__all__ = ["ToolCall", "cap"]
