"""The Web API client every part of the app shares.

slack-sdk retries only connection errors by default; a bot that posts reminders in bursts must
also wait out 429s (honouring Retry-After) and ride over Slack's occasional 5xx.
"""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.config import Settings

REQUEST_TIMEOUT_SECONDS = 10


def build_web_client(settings: Settings) -> WebClient:
    return web_client(settings.bot_token, settings.api_url)


def web_client(token: str, api_url: str = WebClient.BASE_URL) -> WebClient:
    return WebClient(
        token=token,
        base_url=api_url,
        timeout=REQUEST_TIMEOUT_SECONDS,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=5),
            ServerErrorRetryHandler(max_retry_count=2),
        ],
    )
