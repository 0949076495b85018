"""GoToLicenses against the GoTo simulator over loopback: the account key, every page of licenses,
both assignment forms on the wire, and what a refusal becomes (no free seat, no identity: scope)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from provisioning.errors import LicenseSeatsError, UnauthorizedError
from provisioning.target import ScimClient
from provisioning.target.licenses import GoToLicenses, License, LicenseAssignment
from sandbox.goto import SANDBOX_ACCOUNT_KEY, SANDBOX_GOTO_TOKEN, GoToSimulator
from tests.target.conftest import Wire, fast_throttle, record_wire

ACCOUNT = f"/admin/rest/v1/accounts/{SANDBOX_ACCOUNT_KEY}"


@pytest.fixture
async def http(reset_goto_sim: GoToSimulator) -> AsyncIterator[httpx.AsyncClient]:
    reset_goto_sim.configure(rate_limit_per_second=1000)
    headers = {"Authorization": f"Bearer {SANDBOX_GOTO_TOKEN}"}
    async with httpx.AsyncClient(base_url=reset_goto_sim.scim_base_url + "/", headers=headers) as client:
        yield client


def _licenses(
    sim: GoToSimulator, http: httpx.AsyncClient, assignment: LicenseAssignment = "user", page_size: int = 50
) -> GoToLicenses:
    scim = ScimClient(http, throttle=fast_throttle())
    return GoToLicenses(
        http,
        base_url=sim.admin_base_url,
        scim=scim,
        assignment=assignment,
        throttle=fast_throttle(),
        page_size=page_size,
    )


def _user(sim: GoToSimulator, name: str) -> str:
    return str(sim.store.create_user({"userName": f"{name}@contoso.com"})["id"])


async def test_the_account_key_comes_from_scim_me_once(
    reset_goto_sim: GoToSimulator, http: httpx.AsyncClient
) -> None:
    licenses = _licenses(reset_goto_sim, http)

    keys = [await licenses.get_account_key() for _ in range(3)]

    assert keys == [SANDBOX_ACCOUNT_KEY] * 3
    assert reset_goto_sim.counters.snapshot()["GET /identity/v1/Users/me"] == 1
    assert reset_goto_sim.admin_requests() == 0


async def test_every_page_of_licenses_is_read(reset_goto_sim: GoToSimulator, http: httpx.AsyncClient) -> None:
    for n in range(5):
        reset_goto_sim.licenses.add_license(f"L{n}", products=("G2M",), seats=n + 1, enabled=n != 4)
    reset_goto_sim.licenses.assign("L2", [reset_goto_sim.store.admin_id])
    wire = record_wire(http)

    found = await _licenses(reset_goto_sim, http, page_size=2).list_licenses()

    assert [lic.key for lic in found] == ["L0", "L1", "L2", "L3", "L4"]
    assert found[2] == License(key="L2", products=("G2M",), seats=3, users=1, enabled=True)
    assert found[4].enabled is False
    assert [c for c in wire.calls if c[1] == f"{ACCOUNT}/licenses"] == [
        ("GET", f"{ACCOUNT}/licenses", 200)
    ] * 3


def _admin_calls(wire: Wire) -> list[tuple[str, str]]:
    return [(m, p.removeprefix(ACCOUNT)) for m, p, _ in wire.calls if p.startswith("/admin/")]


async def test_user_form_sends_one_put_of_the_whole_set(
    reset_goto_sim: GoToSimulator, http: httpx.AsyncClient
) -> None:
    for key in ("L1", "L2", "L3"):
        reset_goto_sim.licenses.add_license(key)
    ann = _user(reset_goto_sim, "ann")
    licenses = _licenses(reset_goto_sim, http, "user")
    await licenses.get_account_key()
    wire = record_wire(http)

    held = await licenses.set_user_licenses(ann, want=["L2", "L1"], have=())
    again = await licenses.set_user_licenses(ann, want=["L1", "L2"], have=["L2", "L1"])  # nothing to do
    changed = await licenses.set_user_licenses(ann, want=["L3"], have=None)  # unknown: read first

    assert held == ["L1", "L2"] and again == ["L1", "L2"] and changed == ["L3"]
    assert _admin_calls(wire) == [
        ("PUT", f"/users/{ann}"),
        ("GET", f"/users/{ann}"),
        ("PUT", f"/users/{ann}"),
    ]
    assert reset_goto_sim.licenses.user_licenses(ann) == ["L3"]


async def test_license_form_posts_added_and_deletes_removed(
    reset_goto_sim: GoToSimulator, http: httpx.AsyncClient
) -> None:
    for key in ("L1", "L2", "L3"):
        reset_goto_sim.licenses.add_license(key)
    ann = _user(reset_goto_sim, "ann")
    reset_goto_sim.licenses.set_user_licenses(ann, ["L1", "L2"])
    licenses = _licenses(reset_goto_sim, http, "license")
    await licenses.get_account_key()
    wire = record_wire(http)

    held = await licenses.set_user_licenses(ann, want=["L2", "L3"], have=None)
    # a stale `have` (L1 already gone): its DELETE's 404 is success
    stale = await licenses.set_user_licenses(ann, want=["L2", "L3"], have=["L1", "L2", "L3"])

    assert held == ["L2", "L3"] and stale == ["L2", "L3"]
    assert _admin_calls(wire) == [
        ("GET", f"/users/{ann}"),
        ("POST", "/licenses/L3/users"),
        ("DELETE", f"/licenses/L1/users/{ann}"),
        ("DELETE", f"/licenses/L1/users/{ann}"),
    ]
    assert reset_goto_sim.licenses.user_licenses(ann) == ["L2", "L3"]


@pytest.mark.parametrize("assignment", ["user", "license"])
async def test_no_free_seat_is_a_seats_error_naming_license_and_user(
    reset_goto_sim: GoToSimulator, http: httpx.AsyncClient, assignment: LicenseAssignment
) -> None:
    reset_goto_sim.licenses.add_license("L1", seats=1)
    reset_goto_sim.licenses.add_license("FULL", seats=1)
    ann, bob = _user(reset_goto_sim, "ann"), _user(reset_goto_sim, "bob")
    reset_goto_sim.licenses.set_user_licenses(ann, ["FULL"])
    licenses = _licenses(reset_goto_sim, http, assignment)

    with pytest.raises(LicenseSeatsError) as caught:
        await licenses.set_user_licenses(bob, want=["FULL", "L1"], have=())

    message = str(caught.value)
    assert "license FULL" in message and bob in message and "no free seat" in message
    assert caught.value.status == 409


async def test_a_token_without_identity_scope_is_unauthorized_with_the_scope_hint(
    reset_goto_sim: GoToSimulator,
) -> None:
    reset_goto_sim.configure(rate_limit_per_second=1000)
    token = reset_goto_sim.oauth.issue(scope="identity:scim.org")["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=reset_goto_sim.scim_base_url + "/", headers=headers) as http:
        licenses = _licenses(reset_goto_sim, http)
        with pytest.raises(UnauthorizedError) as caught:
            await licenses.list_licenses()

    assert "GOTO_OAUTH_SCOPE" in str(caught.value) and "identity:" in str(caught.value)
    assert token not in str(caught.value)


async def test_429s_are_retried_on_the_admin_apis_own_bucket(
    reset_goto_sim: GoToSimulator, http: httpx.AsyncClient
) -> None:
    reset_goto_sim.licenses.add_license("L1")
    licenses = _licenses(reset_goto_sim, http)
    await licenses.get_account_key()
    reset_goto_sim.faults.queue("throttle", 2)

    found = await licenses.list_licenses()

    assert [lic.key for lic in found] == ["L1"]
    assert licenses.calls.throttled == 2 and licenses.calls.retries == 2
