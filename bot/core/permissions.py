"""Who may do what.

Owners and admins change a service; everyone in the workspace may look. Admins are the people
named in ASSESSBOT_ADMINS plus Slack's own workspace admins and owners, so a council does not
have to keep two lists in step.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.core.people import Person


def is_admin(user_id: str, person: Person | None, admins: frozenset[str]) -> bool:
    if user_id in admins:
        return True
    return person is not None and not person.deleted and person.is_workspace_admin


def can_manage(
    user_id: str, owner_ids: Iterable[str], person: Person | None, admins: frozenset[str]
) -> bool:
    """Start, answer, edit or archive a service."""
    return user_id in set(owner_ids) or is_admin(user_id, person, admins)
