"""The buttons that fetch reports: **Download report** (completion, status) and the Home tab's
**Portfolio report** (admins only)."""

from __future__ import annotations

from bot.blocks import ids
from bot.blocks.kit import Block, actions, button, context

DOWNLOAD_LABEL = "Download report"
PORTFOLIO_LABEL = "Portfolio report"


def download_report_block(service_id: int) -> Block:
    return actions(button(DOWNLOAD_LABEL, ids.REPORT_DOWNLOAD, str(service_id)))


def portfolio_report_blocks() -> list[Block]:
    return [
        actions(button(PORTFOLIO_LABEL, ids.PORTFOLIO_REPORT, "all")),
        context("Admins: the portfolio page (figures, heatmap, weakest points) as one file."),
    ]
