"""Issue 10, observation 8: adoption takes only an exact match. A peer that ignores or loosens the
filter (simulator setting `ignore_filter`) must not hand over someone else's account."""

from __future__ import annotations

import httpx
import pytest

from provisioning.target import ScimClient, ScimDialect, build_group
from provisioning.target.patch_forms import same_name
from provisioning.target.user_target import ScimUserTarget
from sandbox.goto import SANDBOX_GOTO_TOKEN, GoToSimulator
from tests.target.conftest import fast_throttle


@pytest.fixture
async def client(reset_goto_sim: GoToSimulator) -> ScimClient:
    reset_goto_sim.configure(rate_limit_per_second=1000, ignore_filter=True)
    for name in ("someone.else", "another.one"):
        reset_goto_sim.store.create_user({"userName": f"{name}@contoso.com", "externalId": name})
    headers = {"Authorization": f"Bearer {SANDBOX_GOTO_TOKEN}"}
    http = httpx.AsyncClient(base_url=reset_goto_sim.scim_base_url, headers=headers, timeout=10)
    return ScimClient(http, dialect=ScimDialect.goto(), throttle=fast_throttle())


async def test_a_user_who_is_not_there_is_not_found_though_the_peer_answers_others(
    client: ScimClient,
) -> None:
    async with client.http:
        assert await client.find_user(user_name="new.person@contoso.com") is None
        target = ScimUserTarget(client, paths=["userName", "externalId"])
        assert await target.find_user(path="userName", value="new.person@contoso.com") is None
        assert await target.find_user(path="externalId", value="new.person") is None
        assert await target.find_user(path="externalId", value="ANOTHER.ONE") is None  # caseExact


async def test_the_exact_account_is_found_among_the_others_ignoring_ascii_case(client: ScimClient) -> None:
    async with client.http:
        found = await client.find_user(user_name="Another.One@Contoso.com")
        assert found is not None and found["userName"] == "another.one@contoso.com"
        target = ScimUserTarget(client, paths=["userName", "externalId"])
        by_external = await target.find_user(path="externalId", value="another.one")
        assert by_external is not None and by_external.id == found["id"]


async def test_groups_are_found_only_by_their_exact_display_name(client: ScimClient) -> None:
    async with client.http:
        await client.create_group(build_group({"displayName": "Sales"}))
        assert await client.find_group(display_name="Marketing") is None
        found = await client.find_group(display_name="sales")
        assert found is not None and found["displayName"] == "Sales"


def test_only_ascii_letters_fold() -> None:
    """caseExact=false as RFC 7643 reads: `K` and `k` are one name; the Kelvin sign and `ß`/`SS` are not."""
    assert same_name("Ann@Contoso.COM", "ann@contoso.com")
    assert not same_name("\u212aelvin@contoso.com", "kelvin@contoso.com")
    assert not same_name("strasse@contoso.com", "STRAßE@contoso.com")
    assert not same_name(None, "x")
