"""get_link_by_target: which Entra object a GoTo account is linked to, asked before an adoption.
The same scenario on Table Storage (Azurite) and on MemoryState, as in test_store_conformance."""

from __future__ import annotations

from provisioning.model import Link, ObjectType
from provisioning.state.tables import TableState


async def test_the_link_holding_a_goto_account_is_found_by_its_target_id(state: TableState) -> None:
    ann = Link("u-ann", "goto-7", True, {"userName": "ann@contoso.com"}, {"mail": "ann@contoso.com"})
    bob = Link("u-bob", "goto-8", False, {"userName": "bob@contoso.com"})
    group = Link("g-sales", "goto-9", True, object_type=ObjectType.GROUP)
    await state.upsert_links([ann, bob, group])

    assert await state.get_link_by_target("goto-7") == ann
    assert await state.get_link_by_target("goto-8") == bob  # an inactive link still holds its account
    assert await state.get_link_by_target("goto-1") is None
    assert await state.get_link_by_target("goto-9") is None  # users only, unless groups are asked
    assert await state.get_link_by_target("goto-9", object_type=ObjectType.GROUP) == group
    assert await state.get_link_by_target("goto-7", object_type=ObjectType.GROUP) is None


async def test_a_deleted_link_no_longer_holds_its_account(state: TableState) -> None:
    await state.upsert_links([Link("u-ann", "goto-7", True)])
    await state.delete_links(["u-ann"])
    assert await state.get_link_by_target("goto-7") is None


async def test_a_target_id_with_a_quote_is_a_parameter_not_part_of_the_filter(state: TableState) -> None:
    """The id goes in as an OData parameter: GoTo's ids are opaque, and a quote must not end the string."""
    await state.upsert_links([Link("u-ann", "it's-7", True), Link("u-bob", "goto-8", True)])
    assert (await state.get_link_by_target("it's-7")) == Link("u-ann", "it's-7", True)
    assert await state.get_link_by_target("x' or TargetId ne '") is None
