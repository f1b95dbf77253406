"""The emulated Slack workspace: team, app, bot user, people, user groups and channels.

It is plain configuration, changed in code before (or while) an emulator serves it. The
defaults are the demo's seed: an `#incidents` channel, an on-call engineer, a developer who is
not on call, and Alertmanager posting through an incoming webhook.
"""

from __future__ import annotations

from pydantic import BaseModel, Field, model_validator


class User(BaseModel):
    """A member of the workspace; bots are users too (with a `bot_id`)."""

    id: str
    name: str
    real_name: str = ""
    display_name: str = ""
    is_bot: bool = False
    bot_id: str | None = None
    app_id: str | None = None
    # An incoming webhook posts `bot_message`s that carry `bot_id` and `username` but no
    # `user`, which is how Alertmanager's Slack notifications arrive.
    webhook: bool = False
    tz: str = "Europe/London"
    tz_label: str = "Greenwich Mean Time"
    tz_offset: int = 0
    email: str | None = None

    def label(self) -> str:
        """The name Slack's clients show for this user."""
        return self.display_name or self.real_name or self.name


class UserGroup(BaseModel):
    """A user group (a "subteam"), mentioned as `<!subteam^ID>`."""

    id: str
    handle: str
    name: str = ""
    description: str = ""
    members: list[str] = Field(default_factory=list)


class Channel(BaseModel):
    """A public or private channel; `members` decides which events the app receives."""

    id: str
    name: str
    is_private: bool = False
    members: list[str] = Field(default_factory=list)
    topic: str = ""
    purpose: str = ""
    created: int = 1_700_000_000


def _seed_users() -> list[User]:
    return [
        User(
            id="U0AOIBOT",
            name="aoi",
            real_name="AOI",
            is_bot=True,
            bot_id="B0AOIBOT",
            app_id="A0AOIAPP",
        ),
        User(id="U0ONCALL", name="dana", real_name="Dana Reyes", display_name="dana"),
        User(id="U0DEV", name="lee", real_name="Lee Park", display_name="lee"),
        User(
            id="U0ALERTS",
            name="alertmanager",
            real_name="Alertmanager",
            is_bot=True,
            bot_id="B0ALERTMGR",
            webhook=True,
        ),
    ]


def _seed_groups() -> list[UserGroup]:
    return [
        UserGroup(id="S0ONCALL", handle="oncall", name="On-call", members=["U0ONCALL"]),
        UserGroup(id="S0PLATFORM", handle="platform", name="Platform", members=[]),
    ]


def _seed_channels() -> list[Channel]:
    return [
        Channel(
            id="C0INCIDENT",
            name="incidents",
            members=["U0AOIBOT", "U0ONCALL", "U0DEV", "U0ALERTS"],
            purpose="Production alerts and their investigation",
        )
    ]


class Workspace(BaseModel):
    """Everything the emulator serves that is configuration rather than conversation."""

    team_id: str = "T0AOI"
    team_name: str = "AOI Demo"
    domain: str = "aoi-demo"
    app_id: str = "A0AOIAPP"
    bot_user_id: str = "U0AOIBOT"
    bot_id: str = "B0AOIBOT"
    bot_token: str = "xoxb-0000-aoi-emulator"
    app_token: str = "xapp-1-A0AOIAPP-0000-aoi-emulator"
    signing_secret: str = "aoi-emulator-signing-secret"
    verification_token: str = "aoi-emulator-verification-token"
    users: list[User] = Field(default_factory=_seed_users)
    usergroups: list[UserGroup] = Field(default_factory=_seed_groups)
    channels: list[Channel] = Field(default_factory=_seed_channels)

    @model_validator(mode="after")
    def _bot_user_exists(self) -> Workspace:
        # The app's bot user must exist: auth.test, chat.postMessage and self-event filtering
        # all name it.
        if self.user(self.bot_user_id) is None:
            self.users.append(
                User(
                    id=self.bot_user_id,
                    name="aoi",
                    is_bot=True,
                    bot_id=self.bot_id,
                    app_id=self.app_id,
                )
            )
        return self

    @property
    def url(self) -> str:
        return f"https://{self.domain}.slack.com/"

    def user(self, user_id: str) -> User | None:
        return next((u for u in self.users if u.id == user_id), None)

    def user_by_bot_id(self, bot_id: str) -> User | None:
        return next((u for u in self.users if u.bot_id == bot_id), None)

    def usergroup(self, group_id: str) -> UserGroup | None:
        return next((g for g in self.usergroups if g.id == group_id), None)

    def channel(self, key: str) -> Channel | None:
        """A channel by id, by name, or by `#name`, as chat.postMessage accepts."""
        name = key.removeprefix("#")
        return next((c for c in self.channels if c.id == key or c.name == name), None)

    def bot_user(self) -> User:
        user = self.user(self.bot_user_id)
        assert user is not None  # guaranteed by the validator
        return user
