"""The readers of Slack text the alert recognisers are built on."""

from __future__ import annotations

from bot.slack_text import find_known, one_line, plain, safe_url, sentence, urls


def test_markup_is_read_aloud() -> None:
    text = "<@U1> see <https://grafana.example/d/1|the board> &amp; <!subteam^S0ONCALL> &lt;3"
    assert plain(text) == "@U1 see the board & @S0ONCALL <3"


def test_urls_are_the_linked_and_the_shown_once_each_in_order() -> None:
    text = "<https://a.example/x|runbook> then https://b.example/y and <https://a.example/x>"
    assert urls(text) == ["https://a.example/x", "https://b.example/y"]
    assert urls("<mailto:ops@example.com|mail> <#C1>") == []


def test_titles_are_cut_at_a_word_and_sentences_end() -> None:
    assert one_line("a  b\n c", 10) == "a b c"
    assert one_line("frontend latency is high on every route", 20) == "frontend latency…"
    assert sentence(" disk full ") == "disk full." and sentence("down!") == "down!"


def test_only_plain_http_urls_are_safe_in_a_link() -> None:
    assert safe_url("https://prom.example/graph?g0.expr=up") is not None
    assert safe_url("javascript:alert(1)") is None
    assert safe_url("https://x.example/|break") is None
    assert safe_url(42) is None


def test_the_first_known_name_mentioned_as_a_whole_word() -> None:
    names = ["cart", "cartservice", "frontend"]
    assert find_known("frontend calls cartservice", names) == "frontend"
    assert find_known("cartservice-abc is down", names) is None
    assert find_known("the cart is empty", names) == "cart"
