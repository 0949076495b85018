"""Knobs of the simulator that are not faults: limits, token lifetimes, dialect options."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

from sandbox.goto.constants import VERIFIED_DOMAINS

TimeoutMode = Literal["gateway_timeout", "hang"]
UnauthorizedBody = Literal["scim", "empty"]
TIMEOUT_MODES: tuple[str, ...] = ("gateway_timeout", "hang")
UNAUTHORIZED_BODIES: tuple[str, ...] = ("scim", "empty")
ListKey = Literal["Resources", "resources"]
ErrorBody = Literal["scim", "goto_json"]
DeleteAnswer = Literal["no_content", "ok_with_body"]
PatchFormat = Literal["patchop", "partial_json"]
AdminRateLimit = Literal["shared", "separate"]
# The GoTo variants public clients show (goto.md "Live behaviour"): one quirk per setting, off by default.
CHOICES: dict[str, tuple[Any, ...]] = {
    "timeout_mode": TIMEOUT_MODES,
    "unauthorized_body": UNAUTHORIZED_BODIES,
    "list_key": ("Resources", "resources"),
    "error_body": ("scim", "goto_json"),
    "delete_answer": ("no_content", "ok_with_body"),
    "patch_format": ("patchop", "partial_json"),
    "invalid_token_status": (401, 403),
    "missing_group_status": (404, 401),
    "admin_rate_limit": ("separate", "shared"),
}
_FLAGS = ("retry_after_header", "rotate_refresh_tokens", "ignore_start_index", "ignore_filter")


@dataclass
class SimulatorSettings:
    """Validated on every update so a typo in a test fails loudly instead of being ignored."""

    rate_limit_per_second: float = 10.0
    retry_after_header: bool = True  # on the rate limiter's 429s (injected faults: faults.retry_after)
    verified_domains: tuple[str, ...] = field(default_factory=lambda: VERIFIED_DOMAINS)
    access_token_ttl: float = 3600.0
    refresh_token_ttl: float = 30 * 24 * 3600.0
    authorization_code_ttl: float = 600.0
    rotate_refresh_tokens: bool = False
    timeout_mode: TimeoutMode = "gateway_timeout"  # injected timeouts: 504 after the hold, or no answer
    unauthorized_body: UnauthorizedBody = "scim"  # body of SCIM 401s: SCIM error JSON, or empty
    # -- GoTo variants seen in public clients (each off by default; see DIALECT.md "Variants") --
    list_key: ListKey = "Resources"  # "resources": list answers under lower-case `resources`
    ignore_start_index: bool = False  # every list page starts at 1, whatever startIndex says
    ignore_filter: bool = False  # `filter` is ignored: a filtered list returns every resource
    invalid_token_status: int = 401  # 403: an invalid token gets 403 "Invalid token passed"
    error_body: ErrorBody = "scim"  # "goto_json": errors as {"code": "not.authorized", "uri": ...}
    delete_answer: DeleteAnswer = "no_content"  # "ok_with_body": DELETE answers 200 with the resource
    missing_group_status: int = 404  # 401: a missing group answers 401, not 404
    patch_format: PatchFormat = "patchop"  # "partial_json": PATCH takes a partial user, PatchOp gets 400
    # GoTo's limit is "per API" (goto.md): the Admin API has its own bucket, or draws on SCIM's
    admin_rate_limit: AdminRateLimit = "separate"

    @classmethod
    def names(cls) -> set[str]:
        return {f.name for f in fields(cls)}

    def update(self, values: dict[str, Any]) -> None:
        unknown = set(values) - self.names()
        if unknown:
            raise ValueError(f"unknown setting(s) {sorted(unknown)}; known: {sorted(self.names())}")
        checked = {key: _check(key, value) for key, value in values.items()}
        for key, value in checked.items():
            setattr(self, key, value)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["verified_domains"] = list(self.verified_domains)
        return data


def _check(key: str, value: Any) -> Any:
    if key in _FLAGS:
        if not isinstance(value, bool):
            raise ValueError(f"{key} must be true or false, not {value!r}")
        return value
    if key in CHOICES:
        if value not in CHOICES[key] or isinstance(value, bool):
            raise ValueError(f"{key} must be one of {CHOICES[key]}, not {value!r}")
        return value
    if key == "verified_domains":
        if isinstance(value, str) or not all(isinstance(d, str) and d for d in value):
            raise ValueError("verified_domains must be a list of domain names")
        return tuple(d.lower() for d in value)
    number = float(value)
    if number <= 0:
        raise ValueError(f"{key} must be positive, not {value!r}")
    return number
