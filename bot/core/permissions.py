"""Who may do what.

Owners and admins change a service; everyone in the workspace may look. Admins are the people
named in ASSESSBOT_ADMINS plus Slack's own workspace admins and owners, so a council does not
have to keep two lists in step. Slack's admin flag only counts in the person's own workspace:
a Slack Connect guest who administers *their* organisation is no admin here.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.core.people import Person


def is_admin(
    user_id: str, person: Person | None, admins: frozenset[str], *, team_id: str | None = None
) -> bool:
    """`team_id` is the workspace the action happens in; a person of another one is no admin."""
    if user_id in admins:
        return True
    if person is None or person.deleted or not person.is_workspace_admin:
        return False
    return team_id is None or person.team_id is None or person.team_id == team_id


def can_manage(
    user_id: str,
    owner_ids: Iterable[str],
    person: Person | None,
    admins: frozenset[str],
    *,
    team_id: str | None = None,
) -> bool:
    """Start, answer, edit or archive a service."""
    return user_id in set(owner_ids) or is_admin(user_id, person, admins, team_id=team_id)
