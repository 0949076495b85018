"""What a SCIM peer was found to take, learned once and remembered: discovered from its
ServiceProviderConfig, or from a 400 that a fallback then got past. Serialisable, so the engine
can persist it between runs and a new client starts where the last one stopped."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal, get_args

FilteredPaths = Literal["any", "existing", "never"]
MemberRemoval = Literal["value_list", "path_filter"]
PatchOpCase = Literal["lower", "title"]


@dataclass(slots=True)
class Capabilities:
    """None = not learned: the dialect's choice applies. Each field says why it exists."""

    # True once ServiceProviderConfig was read, or found absent (404 on both spellings).
    discovered: bool = False
    # Which spelling answered: "ServiceProviderConfigs" (GoTo's docs) or "ServiceProviderConfig" (RFC).
    config_path: str | None = None
    # patch.supported; False means updates go as GET, merge, PUT of the whole resource.
    patch: bool = True
    # "any": a filtered path may name an entry that does not exist (the peer creates it, as Entra
    # expects); "existing": only entries that exist (RFC 7644: noTarget otherwise), so the client
    # reads the account first when it does not know it; "never": no filtered paths (invalidPath):
    # the whole multi-valued attribute is replaced, merged from a fresh read.
    filtered_paths: FilteredPaths | None = None
    # The member-removal form the peer took after refusing the other one.
    member_removal: MemberRemoval | None = None
    # The PatchOp `op` casing the peer took after refusing the other one.
    patch_op_case: PatchOpCase | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Capabilities:
        """Unknown keys are ignored (a newer version wrote them); a bad value raises ValueError naming it."""
        if not data:
            return cls()
        choices: dict[str, tuple[Any, ...]] = {
            "filtered_paths": get_args(FilteredPaths),
            "member_removal": get_args(MemberRemoval),
            "patch_op_case": get_args(PatchOpCase),
        }
        values: dict[str, Any] = {}
        for field in fields(cls):
            if field.name not in data:
                continue
            value = data[field.name]
            if field.name in ("discovered", "patch"):
                ok = isinstance(value, bool)
            elif field.name == "config_path":
                ok = value is None or isinstance(value, str)
            else:
                ok = value is None or value in choices[field.name]
            if not ok:
                wanted = {
                    "discovered": "true or false",
                    "patch": "true or false",
                    "config_path": "a string or null",
                }
                allowed = wanted.get(field.name) or f"one of {choices[field.name]} or null"
                raise ValueError(f"capabilities.{field.name} must be {allowed}, not {value!r}")
            values[field.name] = value
        return cls(**values)
