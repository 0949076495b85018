"""Bad input is refused before any setting or I/O: GET /api/drift answers 400 naming the parameter,
`python -m provisioning drift` exits 2 naming the flag. An apply while PROVISIONING_ENABLED is false
is exit 2 naming the setting before GoTo is asked anything."""

from __future__ import annotations

import pytest

from provisioning.cli import main
from sandbox.world import World, environment
from tests.fixtures.functions import Caller

BAD_PARAMS = [
    ({"apply": "true"}, "apply"),
    ({"repair": "maybe"}, "repair"),
    ({"deactivateOrphans": "yes please"}, "deactivateOrphans"),
    ({"format": "xml"}, "format"),
    ({"estimateOnly": "true", "repair": "true"}, "estimateOnly"),
    ({"estimateOnly": "true", "format": "csv"}, "format"),
    ({"verbose": "1"}, "verbose"),
]


@pytest.mark.parametrize(("params", "field"), BAD_PARAMS, ids=[f for _, f in BAD_PARAMS])
async def test_bad_parameters_are_400_naming_them(call: Caller, params: dict[str, str], field: str) -> None:
    with environment({"ENTRA_SERVICE_PRINCIPAL_ID": ""}):  # no settings: the check comes first
        status, body = await call("drift", method="GET", params=params)
    assert status == 400, body
    assert body["error"]["field"] == field and body["error"]["message"].startswith(f"{field}: ")


async def test_a_body_is_refused(call: Caller) -> None:
    status, body = await call("drift", method="GET", body={"repair": True})
    assert status == 400 and body["error"]["field"] == "repair"


BAD_FLAGS = [
    (["--apply"], "--apply"),
    (["--estimate-only", "--repair"], "--estimate-only"),
    (["--estimate-only", "--apply", "--deactivate-orphans"], "--estimate-only"),
]


@pytest.mark.parametrize(("argv", "flag"), BAD_FLAGS, ids=[" ".join(a) for a, _ in BAD_FLAGS])
def test_bad_flags_exit_2_naming_them(argv: list[str], flag: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["drift", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error (input): ") and flag in err


def test_an_unknown_format_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["drift", "--format", "xml"])
    assert stopped.value.code == 2 and "--format" in capsys.readouterr().err


def test_apply_while_provisioning_is_off_exits_2_before_reading(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    world.goto.counters.reset()
    with environment(world.env(PROVISIONING_ENABLED="false")):
        assert main(["drift", "--repair", "--apply"]) == 2
    assert "PROVISIONING_ENABLED" in capsys.readouterr().err
    assert world.goto.counters.snapshot() == {}
