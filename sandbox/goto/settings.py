"""Knobs of the simulator that are not faults: limits, token lifetimes, dialect options."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

from sandbox.goto.constants import VERIFIED_DOMAINS

TimeoutMode = Literal["gateway_timeout", "hang"]
UnauthorizedBody = Literal["scim", "empty"]
TIMEOUT_MODES: tuple[str, ...] = ("gateway_timeout", "hang")
UNAUTHORIZED_BODIES: tuple[str, ...] = ("scim", "empty")


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
    if key in ("retry_after_header", "rotate_refresh_tokens"):
        if not isinstance(value, bool):
            raise ValueError(f"{key} must be true or false, not {value!r}")
        return value
    if key == "verified_domains":
        if isinstance(value, str) or not all(isinstance(d, str) and d for d in value):
            raise ValueError("verified_domains must be a list of domain names")
        return tuple(d.lower() for d in value)
    if key == "timeout_mode":
        if value not in TIMEOUT_MODES:
            raise ValueError(f"timeout_mode must be one of {TIMEOUT_MODES}")
        return value
    if key == "unauthorized_body":
        if value not in UNAUTHORIZED_BODIES:
            raise ValueError(f"unauthorized_body must be one of {UNAUTHORIZED_BODIES}")
        return value
    number = float(value)
    if number <= 0:
        raise ValueError(f"{key} must be positive, not {value!r}")
    return number
