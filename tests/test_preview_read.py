"""preview_diff's read, over the engine's fake Entra (a Graph-shaped delta, no HTTP) and the in-memory
Table state: one users delta from scratch selecting what either mapping reads, links looked up per
page, a user Graph sends twice in one round (changed during the read) counted once, and the fake's
call counts showing no delta link kept (the state holds no watermark afterwards)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from provisioning.mapping.attributes import UserMapping
from provisioning.mapping.file import parse_mapping_text
from provisioning.model import DeltaPage, Link, UserChange
from provisioning.preview import preview_diff
from provisioning.state.memory import MemoryState
from tests.engine.fakes import SP, FakeSource

DEPARTMENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"
ROWS = "\n    - {target: userName, source: userPrincipalName, matching: 1}\n"


def users(rows: str = "") -> UserMapping:
    text = f"version: 1\nusers:\n  mappings:{ROWS}{rows}"
    return parse_mapping_text(text, kind="yaml", origin="test.yaml").users


class TwiceSource(FakeSource):
    """Graph may send an object again later in the same round when it changed during the read."""

    selected: list[str]

    async def iter_users_delta(
        self, *, link: str | None, select: Sequence[str]
    ) -> AsyncIterator[DeltaPage[UserChange]]:
        self.selected = list(select)
        pages = [page async for page in super().iter_users_delta(link=link, select=select)]
        again = DeltaPage(pages[0].items, next_link="again")
        for page in [pages[0], again, *pages[1:]]:
            yield page


async def test_one_delta_read_selecting_both_mappings_counts_each_user_once() -> None:
    source = TwiceSource(page_size=2)
    for n in range(5):
        source.add_user(f"u{n}", department=f"D{n}")
        source.assign(f"u{n}")
    source.add_user("outsider", department="D9")  # not assigned: read, not compared
    async with MemoryState() as state:
        written = {"userName": "", "active": True}
        await state.upsert_links([Link(f"u{n}", f"g{n}", True, written, {}) for n in range(4)])
        deployed = users()
        new = users(f"    - {{target: '{DEPARTMENT}', source: department}}\n")
        diff = await preview_diff(source, state, sp_id=SP, deployed=deployed, new=new, origins=("a", "b"))
        assert await state.get_watermark("users") is None
    result = diff.as_dict()
    assert source.selected == ["id", "userPrincipalName", "accountEnabled", "department"]
    assert source.calls["users_delta"] == 1
    assert result["usersRead"] == 6 + 2  # the first page came twice
    assert (result["assignedUsers"], result["linkedUsersCompared"]) == (5, 4)
    assert result["attributes"] == {DEPARTMENT: {"changed": 0, "set": 4, "cleared": 0}}
