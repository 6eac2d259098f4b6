"""`/assess report <service>`, the **Download report** buttons and the Home tab's **Portfolio
report**: a self-contained HTML file sent to the person's DM with the bot.

Like the export, the file goes to the DM, not the channel: it holds every answer's evidence.
Owners and admins may have a service's report; admins the portfolio page. Order of work: find
the service (a short read), ask Slack who the person is and what the workspace is called,
remember that name (a short write, for the command line's reports), read the report's rows
(a short read), name people, then upload. No Slack call happens while a transaction is open.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks import ids
from bot.core.export import AnswererNames
from bot.core.portfolio_html import render_portfolio
from bot.core.publish import gather_site
from bot.core.report_file import Namer, ReportFile, build_report_file
from bot.core.report_outcomes import credits_of
from bot.core.text import safe
from bot.deps import Deps
from bot.slack.after_ack import later
from bot.slack.directory import ForgivingDirectory, SlackDirectory
from bot.slack.errors import DATABASE_ERRORS, SLACK_CALL_ERRORS
from bot.slack.lookup import admin_here, manages, named_service, refusal_text
from bot.slack.names import channel_namer, workspace_name
from bot.slack.router import CommandRequest, CommandRouter
from storage.db import read_only_sessions
from storage.report_queries import remember_workspace_name
from storage.report_queries import workspace_name as stored_workspace_name
from storage.service_queries import service_by_id

logger = logging.getLogger(__name__)

USAGE = "/assess report <service>"
SENT = ":page_facing_up: I've sent you the report on {name} in our direct messages."
PORTFOLIO_SENT = ":page_facing_up: I've sent you the portfolio page in our direct messages."
GONE = "That service is archived or gone, so there's no report to send."
ADMINS_ONLY = "Only admins can get the portfolio report. Ask an admin, or `/assess summary`."
DATABASE_FAILED = ":warning: Couldn't read the assessments just now, please try again in a moment."
SEND_FAILED = ":warning: Couldn't send you the report (Slack said `{code}`). Please try again."
MISSING_SCOPE = (
    ":warning: I'm not allowed to send files. An admin needs to reinstall the app with the "
    "`files:write` and `im:write` scopes."
)

Tell = Callable[[str], None]


def register(app: App, deps: Deps, router: CommandRouter) -> None:
    router.add(
        "report",
        handle_report,
        usage=USAGE,
        summary="Get a service's assessment report as a web page, in a DM (owners and admins)",
        example="/assess report Garden waste",
    )

    @app.action(ids.REPORT_DOWNLOAD)
    def on_download(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        ack()
        tell = _teller(body, respond, client)
        later(deps, "sending a report", lambda: _download(deps, body, client, tell), tell)

    @app.action(ids.PORTFOLIO_REPORT)
    def on_portfolio(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        ack()
        tell = _teller(body, respond, client)
        later(deps, "sending the portfolio", lambda: _portfolio(deps, body, client, tell), tell)


def handle_report(request: CommandRequest) -> None:
    service = named_service(request, USAGE)
    if service is None:
        return
    send_service_report(
        request.deps, request.client, request.team_id, request.user_id, service.id, request.reply
    )


def _download(deps: Deps, body: dict[str, Any], client: WebClient, tell: Tell) -> None:
    value = str(body["actions"][0].get("value", ""))
    if value.isdigit():
        send_service_report(deps, client, body["team"]["id"], body["user"]["id"], int(value), tell)


def send_service_report(
    deps: Deps, client: WebClient, team_id: str, user_id: str, service_id: int, tell: Tell
) -> None:
    """Check, build and DM one service's report; every failure gets a sentence."""
    with deps.sessions() as session:
        service = service_by_id(service_id, team_id=team_id, session=session)
    if service is None or service.archived_at is not None:
        tell(GONE)
        return
    if not manages(deps, client, user_id, service):
        tell(refusal_text(service, "get its report"))
        return
    try:
        organisation = _organisation(deps, client, team_id)
        built = build_report_file(
            sessions=read_only_sessions(deps.engine),
            team_id=team_id,
            service_id=service.id,
            organisation=organisation,
            namer=_namer(deps, client),
            now=deps.clock(),
            tz=deps.settings.timezone,
            standard_titles={standard.id: standard.title for standard in deps.catalogue},
            credits=credits_of(deps.catalogue),
        )
    except DATABASE_ERRORS:
        logger.warning("database unavailable during a report", exc_info=True)
        tell(DATABASE_FAILED)
        return
    if built is None:
        tell(GONE)
        return
    if _upload(client, user_id, built, f"Assessment report: {built.service_name}", tell):
        tell(SENT.format(name=safe(built.service_name, 80)))


def _portfolio(deps: Deps, body: dict[str, Any], client: WebClient, tell: Tell) -> None:
    team_id, user_id = body["team"]["id"], body["user"]["id"]
    if not admin_here(deps, client, team_id, user_id):
        tell(ADMINS_ONLY)
        return
    now = deps.clock()
    try:
        organisation = _organisation(deps, client, team_id)
        # The portfolio page names no people or channels: no users.info for each answerer.
        site = gather_site(
            sessions=read_only_sessions(deps.engine),
            team_id=team_id,
            organisation=organisation,
            now=now,
            tz=deps.settings.timezone,
            include_all=True,
            standard_titles={standard.id: standard.title for standard in deps.catalogue},
            credits=credits_of(deps.catalogue),
        )
    except DATABASE_ERRORS:
        logger.warning("database unavailable during the portfolio report", exc_info=True)
        tell(DATABASE_FAILED)
        return
    page = render_portfolio(
        site.summary,
        site.reports,
        organisation=organisation,
        tz=deps.settings.timezone,
        generated_at=now,
    )
    day = now.astimezone(deps.settings.timezone).date()
    built = ReportFile("portfolio", f"portfolio-{day:%Y%m%d}.html", page.encode("utf-8"))
    if _upload(client, user_id, built, f"Portfolio report {day.isoformat()}", tell):
        tell(PORTFOLIO_SENT)


def _organisation(deps: Deps, client: WebClient, team_id: str) -> str:
    """The workspace's name from Slack (remembered for the CLI), else the last one remembered."""
    name = workspace_name(client)
    with deps.sessions.begin() as session:
        if name:
            remember_workspace_name(session=session, team_id=team_id, name=name, now=deps.clock())
            return name
        return stored_workspace_name(session=session, team_id=team_id) or team_id


def _namer(deps: Deps, client: WebClient) -> Namer:
    return Namer(
        AnswererNames(ForgivingDirectory(SlackDirectory(client, cache=deps.people))),
        channel_namer(client),
    )


def _upload(client: WebClient, user_id: str, built: ReportFile, title: str, tell: Tell) -> bool:
    try:
        dm = client.conversations_open(users=user_id)
        client.files_upload_v2(
            channel=dm["channel"]["id"],
            file=built.content,
            filename=built.filename,
            title=title,
            initial_comment="Open it in any web browser; it prints on A4.",
        )
    except SlackApiError as error:
        code = str(error.response.get("error", "unknown_error"))
        logger.warning("Slack refused a report upload: %s", code)
        tell(MISSING_SCOPE if code == "missing_scope" else SEND_FAILED.format(code=code))
        return False
    except SLACK_CALL_ERRORS as error:
        logger.warning("report upload failed: %s", error)
        tell(SEND_FAILED.format(code="upload_failed"))
        return False
    return True


def _teller(body: dict[str, Any], respond: Respond, client: WebClient) -> Tell:
    """Answer a click: ephemerally where it came from, or in the DM when it came from a view."""
    if body.get("response_url"):

        def reply(text: str) -> None:
            respond(text=text, response_type="ephemeral", replace_original=False)

        return reply
    user_id = body["user"]["id"]

    def tell(text: str) -> None:
        try:
            client.chat_postMessage(channel=user_id, text=text)
        except SLACK_CALL_ERRORS as error:
            logger.warning("could not tell %s about a report: %s", user_id, error)

    return tell
