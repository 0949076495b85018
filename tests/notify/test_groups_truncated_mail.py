"""A group pushed truncated reaches the admin's mail through the engine's condition, with what to do."""

from __future__ import annotations

from typing import Any

from provisioning.alerts import MailAlerts
from provisioning.notify import Condition, Mail


class _Notifier:
    def __init__(self) -> None:
        self.sent: list[tuple[Condition, Mail]] = []

    async def notify(self, key: Condition, mail: Mail) -> None:
        self.sent.append((key, mail))


async def test_the_engines_truncated_groups_become_one_mail_naming_each_group_and_the_cap() -> None:
    notifier = _Notifier()
    alerts = MailAlerts(notifier, threshold=500)  # type: ignore[arg-type]
    details: dict[str, Any] = {
        "groups": [{"id": "g-1", "displayName": "Sales", "members": 250, "pushed": 100}],
        "cap": 100,
    }
    await alerts("groups_truncated", details)
    [(key, mail)] = notifier.sent
    assert key is Condition.GROUPS_TRUNCATED
    assert "1 group pushed to GoTo truncated" in mail.subject
    assert "- Sales (Entra id g-1): 250 members, 100 pushed" in mail.text
    assert "GROUP_MEMBER_CAP=100" in mail.text and "Split the Entra group" in mail.text
