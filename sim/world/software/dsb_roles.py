"""SocialNetwork's Thrift services as data: the binaries, what each calls, its database, and
the words its handlers log when a callee fails."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Role:
    service: str
    source: str  # the .cpp file whose main() logs
    start_line: int
    startup: str  # exactly as the binary prints it
    calls: tuple[str, ...] = ()
    mongo: str | None = None  # the config key of its MongoDB
    creates_index: bool = False
    machine_id: bool = False


ROLES: dict[str, Role] = {
    "ComposePostService": Role(
        "compose-post-service",
        "ComposePostService.cpp",
        110,
        "Starting the compose-post-service server ...",
        (
            "unique-id-service",
            "media-service",
            "text-service",
            "user-service",
            "post-storage-service",
            "user-timeline-service",
            "home-timeline-service",
        ),
    ),
    "HomeTimelineService": Role(
        "home-timeline-service",
        "HomeTimelineService.cpp",
        79,
        "Starting the home-timeline-service server...",
        ("post-storage-service", "social-graph-service"),
    ),
    "MediaService": Role(
        "media-service", "MediaService.cpp", 42, "Starting the media-service server..."
    ),
    "PostStorageService": Role(
        "post-storage-service",
        "PostStorageService.cpp",
        92,
        "Starting the post-storage-service server...",
        mongo="post-storage-mongodb",
        creates_index=True,
    ),
    "SocialGraphService": Role(
        "social-graph-service",
        "SocialGraphService.cpp",
        101,
        "Starting the social-graph-service server ...",
        ("user-service",),
        mongo="social-graph-mongodb",
        creates_index=True,
    ),
    "TextService": Role(
        "text-service",
        "TextService.cpp",
        62,
        "Starting the text-service server...",
        ("url-shorten-service", "user-mention-service"),
    ),
    "UniqueIdService": Role(
        "unique-id-service",
        "UniqueIdService.cpp",
        57,
        "Starting the unique-id-service server ...",
        machine_id=True,
    ),
    "UrlShortenService": Role(
        "url-shorten-service",
        "UrlShortenService.cpp",
        89,
        "Starting the url-shorten-service server...",
        mongo="url-shorten-mongodb",
        creates_index=True,
    ),
    "UserMentionService": Role(
        "user-mention-service",
        "UserMentionService.cpp",
        79,
        "Starting the user-mention-service server...",
        mongo="user-mongodb",
    ),
    "UserService": Role(
        "user-service",
        "UserService.cpp",
        94,
        "Starting the user-service server ...",
        ("social-graph-service",),
        mongo="user-mongodb",
        creates_index=True,
        machine_id=True,
    ),
    "UserTimelineService": Role(
        "user-timeline-service",
        "UserTimelineService.cpp",
        91,
        "Starting the user-timeline-service server...",
        ("post-storage-service",),
        mongo="user-timeline-mongodb",
        creates_index=True,
    ),
}
CLIENT_NAMES = {
    "post-storage-service": "post-storage-client",
    "user-timeline-service": "user-timeline-client",
    "url-shorten-service": "url-shorten-client",
    "user-mention-service": "user-mention-client",
    "social-graph-service": "social-graph-client",
}
# What a handler logs when the callee answers with an exception.
HANDLER_ERRORS = {
    ("compose-post-service", "user-service"): (
        "ComposePostHandler.h:214",
        "Failed to send compose-creator to user-service",
    ),
    ("compose-post-service", "text-service"): (
        "ComposePostHandler.h:252",
        "Failed to send compose-text to text-service",
    ),
    ("compose-post-service", "media-service"): (
        "ComposePostHandler.h:233",
        "Failed to send compose-media to media-service",
    ),
    ("compose-post-service", "unique-id-service"): (
        "ComposePostHandler.h:271",
        "Failed to send compose-unique_id to unique_id-service",
    ),
    ("compose-post-service", "post-storage-service"): (
        "ComposePostHandler.h:290",
        "Failed to store post to post-storage-service",
    ),
    ("compose-post-service", "home-timeline-service"): (
        "ComposePostHandler.h:330",
        "Failed to write home timeline to home-timeline-service",
    ),
    ("text-service", "url-shorten-service"): (
        "TextHandler.h:115",
        "Failed to get shortened urls from url-shorten-service",
    ),
    ("text-service", "user-mention-service"): (
        "TextHandler.h:135",
        "Failed to upload user mentions to user-mention-service",
    ),
}
