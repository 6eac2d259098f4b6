"""The Web API client every part of the app shares.

slack-sdk retries only connection errors by default; a bot that posts reminders in bursts must
also wait out 429s (honouring Retry-After) and ride over Slack's occasional 5xx. But a 5xx or a
dropped connection after Slack has taken a `chat.postMessage` means it may already be posted:
calls that are not idempotent are never retried blindly (a 429 is: Slack did nothing). Claimed
posts settle the doubt from history instead (`bot.slack.claimed_post`).
"""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from bot.config import Settings

REQUEST_TIMEOUT_SECONDS = 10
# Calls that do something new each time they are made: a retry after an unseen outcome may
# do it twice.
NOT_IDEMPOTENT = frozenset(
    {
        "chat.postMessage",
        "chat.postEphemeral",
        "chat.scheduleMessage",
        "chat.meMessage",
        "files.completeUploadExternal",
    }
)


def _idempotent(request: HttpRequest) -> bool:
    method = request.url.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0]
    return method not in NOT_IDEMPOTENT


class SafeConnectionErrorRetryHandler(ConnectionErrorRetryHandler):
    """Connection errors are retried only for calls that may safely happen twice."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return _idempotent(request) and super()._can_retry(
            state=state, request=request, response=response, error=error
        )


class SafeServerErrorRetryHandler(ServerErrorRetryHandler):
    """5xx answers are retried only for calls that may safely happen twice."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return _idempotent(request) and super()._can_retry(
            state=state, request=request, response=response, error=error
        )


def build_web_client(settings: Settings) -> WebClient:
    return web_client(settings.bot_token, settings.api_url)


def web_client(token: str, api_url: str = WebClient.BASE_URL) -> WebClient:
    return WebClient(
        token=token,
        base_url=api_url,
        timeout=REQUEST_TIMEOUT_SECONDS,
        retry_handlers=[
            SafeConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=5),
            SafeServerErrorRetryHandler(max_retry_count=2),
        ],
    )
