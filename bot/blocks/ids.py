"""Action and callback ids shared by the builders and the listeners, so they cannot disagree."""

from __future__ import annotations

from typing import Final

from storage.values import Rating

RATE_ACTIONS: Final = {
    "rate_met": Rating.MET,
    "rate_partly_met": Rating.PARTLY_MET,
    "rate_not_met": Rating.NOT_MET,
}
RATE_NOT_APPLICABLE: Final = "rate_not_applicable"
SKIP_POINT: Final = "skip_point"
ADD_EVIDENCE: Final = "add_evidence"
STATUS_CHANGE: Final = "status_change"
ASSESSMENT_START: Final = "assessment_start"
OPEN_STATUS: Final = "open_status"
HOME_SERVICE_MENU: Final = "home_service_menu"
HOME_PAGE: Final = "home_page"
ARCHIVE_CONFIRM: Final = "archive_confirm"

SERVICE_NEW_VIEW: Final = "service_new"
SERVICE_EDIT_VIEW: Final = "service_edit"
EVIDENCE_VIEW: Final = "evidence"
NOT_APPLICABLE_VIEW: Final = "not_applicable"

# Input blocks of the service modal: block_id == field name, so inline errors land on the field.
SERVICE_FIELDS: Final = (
    "name",
    "description",
    "standard",
    "phase",
    "channel",
    "owners",
    "interval",
    "last_assessed",
    "service_type",
)

# Reports (#16): the button value is the service id; the Home button has none.
REPORT_DOWNLOAD: Final = "report_download"
PORTFOLIO_REPORT: Final = "portfolio_report"
