"""A user's GoTo licenses follow their app roles (the mapping file's licenses section), on both stores."""

from __future__ import annotations

from provisioning.model import AuditStatus
from tests.engine.conftest import Bench
from tests.engine.fakes import DEFAULT_ACCESS, licensed

ORGANIZER = "role-organizer"
ADMIN = "role-admin"


def _tenant(bench: Bench) -> None:
    bench.source.app_roles.update({ORGANIZER: "Organizer", ADMIN: "Admin"})
    bench.licenses = {"Organizer": ("L-G2M",), "Admin": ("L-G2M", "L-ADMIN"), ROLE_USER_BY_ID: ("L-BASIC",)}


ROLE_USER_BY_ID = "role-user"  # a role named by its id, not its value


async def test_licenses_are_set_on_create_as_the_union_of_every_role(bench: Bench) -> None:
    _tenant(bench)
    for user_id in ("org", "both", "plain"):
        bench.source.add_user(user_id)
    bench.source.assign("org", role=ORGANIZER)
    bench.source.assign("plain")
    bench.source.add_group("g-admins", "both", name="Admins")
    bench.source.assign("g-admins", kind="Group", role=ADMIN)
    bench.source.assign("both", role=ORGANIZER)
    result = await bench.cycle()
    assert result.counts["create", "success"] == 3
    assert bench.target.holders("L-G2M") == {"org", "both"}
    assert bench.target.holders("L-ADMIN") == {"both"}
    assert bench.target.holders("L-BASIC") == {"plain"}  # named by the role's id
    assert bench.source.calls["service_principal"] == 1


async def test_a_role_change_moves_the_license_and_nothing_else(bench: Bench) -> None:
    _tenant(bench)
    bench.source.add_user("mover")
    bench.source.assign("mover", role=ORGANIZER)
    await bench.cycle()
    bench.source.assign("mover")  # the role changed: Organizer -> User
    result = await bench.cycle()
    assert result.counts["update", "success"] == 1
    assert bench.target.holders("L-G2M") == set() and bench.target.holders("L-BASIC") == {"mover"}
    records = await bench.state.list_audit_records(result.cycle.id)
    assert [(p.display_name, p.old_value, p.new_value) for p in records[0].modified_properties] == [
        ("licenses", "['L-G2M']", "['L-BASIC']")
    ]


async def test_a_groups_role_change_moves_its_members_licenses(bench: Bench) -> None:
    _tenant(bench)
    bench.source.add_user("m1")
    bench.source.add_group("g", "m1", name="Team")
    bench.source.assign("g", kind="Group", role=ORGANIZER)
    await bench.cycle()
    bench.source.assign("g", kind="Group", role=ADMIN)
    await bench.cycle()
    assert bench.target.holders("L-ADMIN") == {"m1"}


async def test_deprovisioning_gives_the_licenses_back(bench: Bench) -> None:
    _tenant(bench)
    bench.source.add_user("leaver")
    bench.source.add_user("stayer")
    bench.source.assign("leaver", role=ORGANIZER)
    bench.source.assign("stayer", role=ORGANIZER)
    await bench.cycle()
    bench.source.unassign("leaver")
    result = await bench.cycle()
    assert result.counts["disable", "success"] == 1
    assert bench.target.holders("L-G2M") == {"stayer"}
    account = bench.target.by_name("leaver@contoso.example")
    assert account is not None and account["active"] is False


async def test_out_of_seats_fails_that_user_alone_and_the_ladder_retries_it(bench: Bench) -> None:
    _tenant(bench)
    licensed(bench.target, {"L-G2M": 1, "L-ADMIN": 5, "L-BASIC": 5})
    for user_id in ("first", "second"):
        bench.source.add_user(user_id)
        bench.source.assign(user_id, role=ORGANIZER)
    result = await bench.cycle()
    failed = [
        r for r in await bench.state.list_audit_records(result.cycle.id) if r.status is AuditStatus.FAILURE
    ]
    assert [(r.source_id, r.error_code) for r in failed] == [("second", "GoToLicenseSeats409")]
    assert "no free seat" in (failed[0].recommended_action or "")
    assert "second" in await bench.state.due_retries()
    bench.target.seats = {"L-G2M": 2}
    again = await bench.cycle()
    assert again.counts.failures() == 0 and bench.target.holders("L-G2M") == {"first", "second"}


async def test_no_license_map_writes_no_licenses_and_default_access_gets_none(bench: Bench) -> None:
    bench.source.add_user("u")
    bench.source.assign("u")
    await bench.cycle()
    account = bench.target.by_name("u@contoso.example")
    assert account is not None and "licenses" not in account
    assert bench.source.calls["service_principal"] == 0
    _tenant(bench)
    bench.source.add_user("d")
    bench.source.assign("d", role=DEFAULT_ACCESS)
    await bench.cycle()
    assert bench.target.by_name("d@contoso.example") is None


async def test_a_changed_license_map_replans_every_user_in_a_full_cycle(bench: Bench) -> None:
    _tenant(bench)
    bench.source.add_user("org")
    bench.source.assign("org", role=ORGANIZER)
    await bench.cycle()
    bench.licenses = {**bench.licenses, "Organizer": ("L-G2M", "L-WEBINAR")}
    result = await bench.cycle()
    assert result.cycle.kind == "full" and result.counts["update", "success"] == 1
    assert bench.target.holders("L-WEBINAR") == {"org"}
    assert (await bench.cycle()).counts.done() == 0
