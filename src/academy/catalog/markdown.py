"""Markdown for lessons and the wiki: CommonMark + tables, no raw HTML, sanitised output.

Internal links (`wiki:slug`, `lesson:course/lesson`) are resolved to URLs by the caller's
resolver, so the renderer stays independent of URL routing.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import nh3
from markdown_it import MarkdownIt

INTERNAL_LINK = re.compile(r"\]\((?P<scheme>wiki|lesson):(?P<target>[^)\s]+)\)")
ALLOWED_TAGS = {
    "a", "blockquote", "br", "code", "em", "h2", "h3", "h4", "hr", "li", "ol", "p", "pre",
    "strong", "table", "tbody", "td", "th", "thead", "tr", "ul", "del",
}  # fmt: skip
ALLOWED_SCHEMES = {"https", "http", "mailto"}

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")

Resolver = Callable[[str, str], str | None]


def internal_links(text: str) -> list[tuple[str, str]]:
    """Every (scheme, target) internal link in a Markdown text."""
    return [(match["scheme"], match["target"]) for match in INTERNAL_LINK.finditer(text)]


def render_markdown(text: str, *, resolve: Resolver) -> str:
    """Render Markdown to safe HTML; internal links become site URLs (or plain text if unknown)."""

    def replace(match: re.Match[str]) -> str:
        url = resolve(match["scheme"], match["target"])
        return f"]({url})" if url else "]()"

    html = _markdown.render(INTERNAL_LINK.sub(replace, text))
    # Headings start at h2: the page title is the h1.
    html = re.sub(r"<(/?)h1>", r"<\1h2>", html)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes=ALLOWED_SCHEMES,
        link_rel="noopener noreferrer",
    )
