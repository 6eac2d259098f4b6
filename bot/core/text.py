"""Making user text safe and short enough to show in Slack."""

from __future__ import annotations

_MRKDWN_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def escape(text: str) -> str:
    """Escape `&`, `<` and `>` so typed text shows literally and cannot ping or link.

    Slack treats `<!channel>`, `<@U123>` and `<https://x|label>` as control sequences; escaping
    the three characters is what Slack documents for untrusted text.
    """
    return text.translate(_MRKDWN_ESCAPES)


def truncate(text: str, limit: int, ellipsis: str = "…") -> str:
    """Cut `text` to at most `limit` characters, marking the cut."""
    if len(text) <= limit:
        return text
    return text[: max(0, limit - len(ellipsis))] + ellipsis


def safe(text: str, limit: int) -> str:
    """Escape, then truncate without splitting an escape sequence."""
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    cut = truncate(escaped, limit)
    amp = cut.rfind("&", max(0, len(cut) - 6))
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp] + "…"
    return cut
