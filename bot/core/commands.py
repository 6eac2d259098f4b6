"""Parsing what people type after `/assess`.

People quote service names ("Adult social care") or don't, paste curly quotes from Word, and
leave quotes unbalanced; none of that may crash the bot or lose words.
"""

from __future__ import annotations

import shlex

_CURLY_QUOTES = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'"})
MAX_COMMAND_TEXT = 4000


def parse_arguments(text: str) -> list[str]:
    """Split on spaces, keeping quoted phrases together; never raises."""
    cleaned = "".join(ch if ch.isprintable() else " " for ch in text[:MAX_COMMAND_TEXT])
    cleaned = cleaned.translate(_CURLY_QUOTES).strip()
    if not cleaned:
        return []
    lexer = shlex.shlex(cleaned, posix=True)
    lexer.whitespace_split = True
    lexer.commenters = ""
    lexer.escape = ""
    try:
        return [" ".join(word.split()) for word in lexer if word.strip()]
    except ValueError:  # unbalanced quote: treat quotes as ordinary characters
        return [word.strip("\"'") for word in cleaned.split() if word.strip("\"'")]


def join_name(words: list[str]) -> str:
    """Everything after the subcommand is the service name when it was not quoted."""
    return " ".join(words).strip()
