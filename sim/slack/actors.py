"""What people (and Alertmanager) do in the emulated workspace, and what Slack then sends the
app: each action changes the workspace first, then delivers the events or interaction Slack
would, and returns how the app acknowledged it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sim.slack.blocks import validate_blocks
from sim.slack.delivery import Deliverer, Delivery
from sim.slack.events import (
    app_mention_event,
    bot_profile,
    mentions,
    message_event,
    reaction_event,
    rich_text,
)
from sim.slack.methods.base import SlackError
from sim.slack.methods.views import checked_view, view_object
from sim.slack.payloads import (
    block_actions,
    event_callback,
    find_element,
    slash_command,
    view_state_values,
    view_submission,
)
from sim.slack.response_urls import ResponsePost, ResponseTarget, ResponseUrls
from sim.slack.state import Event, Message, OpenView, SlackState, canonical_reaction
from sim.slack.workspace import Channel, User


@dataclass
class Posted:
    """A message someone posted, and the event deliveries it caused."""

    channel: str
    ts: str
    message: Message
    deliveries: list[Delivery] = field(default_factory=list)


class SlackActors:
    """The people-side helpers of the emulator; subclassed by SlackEmulator."""

    state: SlackState
    deliverer: Deliverer
    response_urls: ResponseUrls

    # --- events ------------------------------------------------------------------------

    async def deliver_event(self, event: Event) -> Delivery:
        """Wrap `event` in an event_callback and deliver it (retried if not acknowledged)."""
        event_id = self.state.ids.new("Ev")
        body = event_callback(self.state.workspace, event, event_id, int(self.state.now()))
        return await self.deliverer.deliver("event", body, event_id)

    def _channel(self, key: str) -> Channel:
        channel = self.state.workspace.channel(key)
        if channel is None:
            raise ValueError(f"no channel {key!r} in the emulated workspace")
        return channel

    def _user(self, user_id: str) -> User:
        user = self.state.workspace.user(user_id)
        if user is None:
            raise ValueError(f"no user {user_id!r} in the emulated workspace")
        return user

    def _app_hears(self, channel: Channel) -> bool:
        # Slack sends channel events only to apps whose bot user is in the channel.
        return self.state.workspace.bot_user_id in channel.members

    def _authored(self, user: User, text: str, bot_id: str | None, username: str | None) -> Message:
        ws = self.state.workspace
        ts = self.state.new_ts()
        if user.is_bot or bot_id:
            bot = bot_id or user.bot_id
            if user.webhook or username:
                # An incoming webhook's post: a bot_message with no `user`.
                return {
                    "type": "message",
                    "subtype": "bot_message",
                    "text": text,
                    "ts": ts,
                    "username": username or user.real_name or user.name,
                    "bot_id": bot,
                }
            return {
                "type": "message",
                "user": user.id,
                "bot_id": bot,
                "app_id": user.app_id or "",
                "text": text,
                "ts": ts,
                "team": ws.team_id,
                "bot_profile": bot_profile(ws, user),
            }
        return {
            "client_msg_id": str(uuid.uuid4()),
            "type": "message",
            "text": text,
            "user": user.id,
            "ts": ts,
            "team": ws.team_id,
        }

    async def post_message(
        self,
        channel: str,
        user: str,
        text: str = "",
        *,
        thread_ts: str | None = None,
        blocks: list[dict[str, Any]] | None = None,
        bot_id: str | None = None,
        username: str | None = None,
        attachments: list[dict[str, Any]] | None = None,
    ) -> Posted:
        """`user` posts in `channel`; the app gets `message` (and `app_mention` if mentioned)."""
        ch, author = self._channel(channel), self._user(user)
        if blocks is not None and (errors := validate_blocks(blocks)):
            raise ValueError(f"Slack would refuse these blocks: {errors}")
        message = self._authored(author, text, bot_id, username)
        if blocks is not None:
            message["blocks"] = blocks
        elif "client_msg_id" in message:
            message["blocks"] = rich_text(text)
        if attachments is not None:
            message["attachments"] = attachments
        if thread_ts is not None:
            parent = self.state.find(ch.id, thread_ts)
            if parent is None:
                raise ValueError(f"no message {thread_ts} in #{ch.name} to reply to")
            message["thread_ts"] = parent.get("thread_ts") or thread_ts
        self.state.add(ch.id, message)
        posted = Posted(ch.id, str(message["ts"]), message)
        if self._app_hears(ch):
            posted.deliveries.append(await self.deliver_event(message_event(ch.id, message)))
            if user != self.state.workspace.bot_user_id and mentions(
                text, self.state.workspace.bot_user_id
            ):
                mention = app_mention_event(ch.id, message)
                posted.deliveries.append(await self.deliver_event(mention))
        return posted

    def _message(self, channel: Channel, ts: str) -> Message:
        message = self.state.find(channel.id, ts)
        if message is None:
            raise ValueError(f"no message {ts} in #{channel.name}")
        return message

    async def add_reaction(self, user: str, channel: str, ts: str, name: str) -> Delivery | None:
        """`user` reacts with `name`; the app gets `reaction_added` (None if not in channel)."""
        return await self._reaction("reaction_added", user, channel, ts, name)

    async def remove_reaction(self, user: str, channel: str, ts: str, name: str) -> Delivery | None:
        """`user` takes a reaction back; the app gets `reaction_removed`."""
        return await self._reaction("reaction_removed", user, channel, ts, name)

    async def _reaction(
        self, kind: str, user: str, channel: str, ts: str, name: str
    ) -> Delivery | None:
        ch = self._channel(channel)
        self._user(user)
        message, reaction = self._message(ch, ts), canonical_reaction(name)
        change = self.state.react if kind == "reaction_added" else self.state.unreact
        if not change(message, user, reaction):
            problem = "has already reacted with" if kind == "reaction_added" else "has no reaction"
            raise ValueError(f"{user} {problem} :{reaction}: on {ts}")
        if not self._app_hears(ch):
            return None
        event = reaction_event(kind, user, reaction, ch.id, message, self.state.new_ts())
        return await self.deliver_event(event)

    # --- interactions ------------------------------------------------------------------

    async def click(
        self, user: str, channel: str, ts: str, action_id: str, value: str | None = None
    ) -> Delivery:
        """`user` clicks the element `action_id` of a message (or of their ephemeral one)."""
        ch = self._channel(channel)
        self._user(user)
        ephemeral = self.state.ephemeral(ch.id, ts)
        if ephemeral is not None and ephemeral.user != user:
            raise ValueError(f"{user} cannot see the ephemeral message {ts}")
        message = ephemeral.message if ephemeral else self._message(ch, ts)
        element = find_element(message.get("blocks") or [], action_id)
        if element is None:
            raise ValueError(f"message {ts} has no interactive element {action_id!r}")
        target = ResponseTarget(ch.id, user, ts, ephemeral is not None, message.get("thread_ts"))
        payload = block_actions(
            self.state.workspace,
            user=user,
            channel=ch.id,
            message=message,
            is_ephemeral=ephemeral is not None,
            action=element,
            value=value,
            trigger_id=self.state.issue_trigger(user),
            response_url=self.response_urls.issue("actions", target),
            action_ts=self.state.new_ts(),
        )
        return await self.deliverer.deliver("interaction", payload, self.state.ids.new("Ia"))

    async def slash_command(
        self, user: str, channel: str, command: str, text: str = ""
    ) -> Delivery:
        """`user` runs `/command text`; a reply in the ack is shown as Slack shows it."""
        ch = self._channel(channel)
        self._user(user)
        if not command.startswith("/"):
            raise ValueError(f"a slash command starts with '/': {command!r}")
        target = ResponseTarget(ch.id, user)
        response_url = self.response_urls.issue("commands", target)
        fields = slash_command(
            self.state.workspace,
            user=user,
            channel=ch.id,
            command=command,
            text=text,
            response_url=response_url,
            trigger_id=self.state.issue_trigger(user),
        )
        delivery = await self.deliverer.deliver("slash_command", fields, self.state.ids.new("Sc"))
        if delivery.acked and delivery.response:
            reply = delivery.response
            body = reply if isinstance(reply, dict) else {"text": str(reply)}
            status, outcome = self.response_urls.apply(target, body)
            post = ResponsePost(response_url, body, self.state.now(), status, f"ack:{outcome}")
            self.response_urls.posts.append(post)
        return delivery

    async def submit_view(self, user: str, view_id: str, values: dict[str, Any]) -> Delivery:
        """`user` submits an open modal; the app's `response_action` is then honoured.

        `values` is `{block_id: {action_id: value}}`, a value either Slack's full element
        state or a plain string.
        """
        opened = self.state.views.get(view_id)
        if opened is None or not opened.is_open or opened.user != user:
            raise ValueError(f"{user} has no open view {view_id}")
        payload = view_submission(
            self.state.workspace,
            user=user,
            view=opened.view,
            values=view_state_values(opened.view, values),
            trigger_id=self.state.issue_trigger(user),
        )
        delivery = await self.deliverer.deliver("interaction", payload, self.state.ids.new("Vs"))
        if delivery.acked:
            self._after_submission(opened, delivery.response)
        return delivery

    def _after_submission(self, opened: OpenView, response: Any) -> None:
        action = response.get("response_action") if isinstance(response, dict) else None
        view = opened.view
        if action == "errors":
            return
        if action in ("update", "push"):
            try:
                new = checked_view({"view": response.get("view")})
            except SlackError:
                return  # Slack shows the user an error and keeps the modal as it was
            if action == "update":
                opened.view = view_object(
                    self.state, new, view["id"], view["root_view_id"], view["previous_view_id"]
                )
            else:
                view_id = self.state.ids.new("V")
                pushed = view_object(self.state, new, view_id, view["root_view_id"], view["id"])
                self.state.views[view_id] = OpenView(pushed, opened.user)
            return
        closing = [opened]
        if action == "clear":
            closing = [
                v
                for v in self.state.views.values()
                if v.view["root_view_id"] == view["root_view_id"]
            ]
        for each in closing:
            each.is_open = False
