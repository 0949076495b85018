"""LicensedUserTarget over the real SCIM user target and GoToLicenses, against the GoTo simulator:
the pseudo-path "licenses" goes to the Admin API, everything else to SCIM, in that order."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from provisioning.errors import LicenseSeatsError
from provisioning.target import ScimClient
from provisioning.target.licensed_target import LicensedUserTarget
from provisioning.target.licenses import GoToLicenses, LicenseAssignment
from provisioning.target.user_target import ScimUserTarget
from sandbox.goto import SANDBOX_ACCOUNT_KEY, SANDBOX_GOTO_TOKEN, GoToSimulator
from tests.target.conftest import fast_throttle, record_wire

ACCOUNT = f"/admin/rest/v1/accounts/{SANDBOX_ACCOUNT_KEY}"


@pytest.fixture
async def http(reset_goto_sim: GoToSimulator) -> AsyncIterator[httpx.AsyncClient]:
    reset_goto_sim.configure(rate_limit_per_second=1000)
    for key, seats in (("L1", 5), ("L2", 5), ("FULL", 0)):
        reset_goto_sim.licenses.add_license(key, seats=seats)
    headers = {"Authorization": f"Bearer {SANDBOX_GOTO_TOKEN}"}
    async with httpx.AsyncClient(base_url=reset_goto_sim.scim_base_url + "/", headers=headers) as client:
        yield client


def _target(
    sim: GoToSimulator, http: httpx.AsyncClient, assignment: LicenseAssignment = "user"
) -> LicensedUserTarget:
    scim = ScimClient(http, throttle=fast_throttle())
    licenses = GoToLicenses(
        http, base_url=sim.admin_base_url, scim=scim, assignment=assignment, throttle=fast_throttle()
    )
    return LicensedUserTarget(ScimUserTarget(scim, paths=["userName", "displayName"]), licenses)


async def test_create_makes_the_account_then_gives_its_licenses(
    reset_goto_sim: GoToSimulator, http: httpx.AsyncClient
) -> None:
    wire = record_wire(http)
    values = {"userName": "ann@contoso.com", "displayName": "Ann", "active": True, "licenses": ["L2", "L1"]}

    created = await _target(reset_goto_sim, http).create_user(values)

    assert created.values["licenses"] == ["L1", "L2"] and created.values["userName"] == "ann@contoso.com"
    account = reset_goto_sim.store.get_user(created.id)
    assert "licenses" not in account  # never sent to SCIM
    assert reset_goto_sim.licenses.user_licenses(created.id) == ["L1", "L2"]
    writes = [(m, p) for m, p, _ in wire.calls if m in ("POST", "PUT")]
    assert writes == [("POST", "/identity/v1/Users"), ("PUT", f"{ACCOUNT}/users/{created.id}")]  # SCIM first


async def test_create_without_licenses_calls_no_admin_api(
    reset_goto_sim: GoToSimulator, http: httpx.AsyncClient
) -> None:
    created = await _target(reset_goto_sim, http).create_user({"userName": "bob@contoso.com"})

    assert "licenses" not in created.values
    assert reset_goto_sim.admin_requests() == 0


async def test_update_sends_the_scim_part_and_the_licenses_from_current(
    reset_goto_sim: GoToSimulator, http: httpx.AsyncClient
) -> None:
    target = _target(reset_goto_sim, http, "license")
    created = await target.create_user({"userName": "cy@contoso.com", "licenses": ["L1"]})
    wire = record_wire(http)

    await target.update_user(
        created.id,
        {"displayName": "Cy", "licenses": ["L2"]},
        current={"userName": "cy@contoso.com", "licenses": ["L1"]},
    )

    assert reset_goto_sim.store.get_user(created.id)["displayName"] == "Cy"
    assert reset_goto_sim.licenses.user_licenses(created.id) == ["L2"]
    admin = [(m, p.removeprefix(ACCOUNT)) for m, p, _ in wire.calls if "/admin/" in p]
    assert admin == [("POST", "/licenses/L2/users"), ("DELETE", f"/licenses/L1/users/{created.id}")]


async def test_update_of_licenses_only_reads_them_when_current_lacks_them(
    reset_goto_sim: GoToSimulator, http: httpx.AsyncClient
) -> None:
    target = _target(reset_goto_sim, http, "license")
    created = await target.create_user({"userName": "di@contoso.com", "licenses": ["L1"]})
    wire = record_wire(http)

    await target.update_user(created.id, {"licenses": []}, current={"userName": "di@contoso.com"})

    assert reset_goto_sim.licenses.user_licenses(created.id) == []
    assert [m for m, p, _ in wire.calls] == ["GET", "DELETE"]  # no SCIM write: only licenses changed
    assert all("/admin/" in p for _, p, _ in wire.calls)


async def test_no_free_seat_fails_after_the_account_exists(
    reset_goto_sim: GoToSimulator, http: httpx.AsyncClient
) -> None:
    with pytest.raises(LicenseSeatsError, match="FULL"):
        await _target(reset_goto_sim, http).create_user({"userName": "eve@contoso.com", "licenses": ["FULL"]})

    assert reset_goto_sim.store.find_user("eve@contoso.com") is not None  # the retry will adopt it


async def test_find_and_delete_pass_through(reset_goto_sim: GoToSimulator, http: httpx.AsyncClient) -> None:
    target = _target(reset_goto_sim, http)
    created = await target.create_user({"userName": "fay@contoso.com"})

    found = await target.find_user(path="userName", value="fay@contoso.com")

    assert found is not None and found.id == created.id
    assert await target.delete_user(created.id) is True
    assert reset_goto_sim.store.find_user("fay@contoso.com") is None
