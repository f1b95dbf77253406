"""Who is in which Slack user group, for approvals: asked of Slack (`usergroups.users.list`)
and cached in Redis for a few minutes, so a burst of clicks costs one call per group and
every replica shares the answer. A group Slack cannot answer for counts as empty: an
approval never succeeds on a guess."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable

import redis.asyncio as aioredis
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.redis_store import key
from policies import Policy

log = logging.getLogger(__name__)


def approver_groups(policy: Policy) -> set[str]:
    """Every user group the policy names as approvers of some action class."""
    rules = [policy.approvals.default, *policy.approvals.classes.values()]
    return {group for rule in rules for group in rule.groups}


class UserDirectory:
    def __init__(self, client: AsyncWebClient, redis: aioredis.Redis, ttl_s: int = 300) -> None:
        self.client = client
        self.redis = redis
        self.ttl_s = ttl_s

    async def members(self, group: str) -> set[str]:
        cached = await self.redis.get(key("usergroup", group))
        if cached is not None:
            return set(json.loads(cached))
        try:
            reply = await self.client.usergroups_users_list(usergroup=group)
            users = [str(u) for u in reply.get("users") or []]
        except SlackApiError as exc:
            log.warning("cannot list user group %s: %s", group, exc.response.get("error"))
            return set()
        await self.redis.set(key("usergroup", group), json.dumps(users), ex=self.ttl_s)
        return set(users)

    async def groups_of(self, user: str, groups: Iterable[str]) -> set[str]:
        """Which of `groups` the user belongs to."""
        return {group for group in groups if user in await self.members(group)}
