"""GoToLicenses.find_user_key against the simulator, which refuses a filter whose spaces come as `+`
(goto.md): the adapter sends %20 and finds the user by e-mail without case."""

from __future__ import annotations

import httpx
import pytest

from provisioning.target import ScimClient
from provisioning.target.licenses import GoToLicenses
from sandbox.goto import SANDBOX_GOTO_TOKEN, GoToSimulator
from tests.target.conftest import fast_throttle, record_wire


async def test_find_user_key_by_email(reset_goto_sim: GoToSimulator) -> None:
    reset_goto_sim.configure(rate_limit_per_second=1000)
    key = str(reset_goto_sim.store.create_user({"userName": "hal@contoso.com"})["id"])
    headers = {"Authorization": f"Bearer {SANDBOX_GOTO_TOKEN}"}
    async with httpx.AsyncClient(base_url=reset_goto_sim.scim_base_url + "/", headers=headers) as http:
        scim = ScimClient(http, throttle=fast_throttle())
        licenses = GoToLicenses(
            http, base_url=reset_goto_sim.admin_base_url, scim=scim, throttle=fast_throttle()
        )
        wire = record_wire(http)

        found = await licenses.find_user_key("HAL@contoso.com")
        missing = await licenses.find_user_key("nobody@contoso.com")
        with pytest.raises(ValueError, match="e-mail"):
            await licenses.find_user_key('a"b@contoso.com')

    assert found == key and missing is None
    assert [status for method, path, status in wire.calls if path.endswith("/users")] == [200, 200]
