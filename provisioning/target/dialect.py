"""How a SCIM peer deviates from plain RFC 7644, as data: the payload and client code read these options.

GoTo's identity API is only partly documented (see /work/shared/reference/goto.md): what is known
for sure is that Entra's GoTo gallery connector works against it, so the `goto()` preset speaks the
way Entra speaks and tolerates what GoTo's older SCIM 1.x description shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SCIM_MEDIA_TYPE = "application/scim+json"

PatchOpCase = Literal["lower", "title"]
MemberRemoval = Literal["value_list", "path_filter"]
FilteredValuePatch = Literal["path", "entry"]


@dataclass(frozen=True, slots=True)
class ScimDialect:
    """Options that differ between SCIM peers; each one's comment says why it exists."""

    name: str = "rfc7644"
    # "title" sends Add/Replace/Remove as Entra does (what GoTo is known to take); RFC 7644 spells them lower.
    patch_op_case: PatchOpCase = "lower"
    # True: PATCH may answer 200 with the resource and we return it; False: never read a PATCH body (204).
    patch_returns_body: bool = False
    # Keys a ListResponse may hold its resources under: SCIM 2.0 "Resources", GoTo's 1.x docs "resources".
    list_keys: tuple[str, ...] = ("Resources",)
    # "value_list": Entra's {path: members, value: [...]}; "path_filter": members[value eq "id"] per member.
    member_removal: MemberRemoval = "path_filter"
    # Members sent per PATCH request; GoTo caps a group at 100 members, so larger batches cannot succeed.
    members_per_request: int = 100
    # "path" patches emails[type eq "work"].value as Entra does (peer creates the entry when missing);
    # "entry" removes the matching entry and adds a whole one, since RFC 7644 answers noTarget otherwise.
    filtered_value_patch: FilteredValuePatch = "entry"
    # True escapes non-ASCII in filter literals as \uXXXX, for peers that mangle raw UTF-8 in query strings.
    filter_escape_non_ascii: bool = False
    # Content-Type of request bodies; both presets use the SCIM media type Entra sends.
    content_type: str = SCIM_MEDIA_TYPE
    # Where the authenticated caller lives: GoTo documents /Users/me, RFC 7644 §3.11 says /Me.
    me_path: str = "Me"
    # Largest `count` the peer honours per list page; None = no cap known (GoTo: undocumented, 100 assumed).
    max_page_size: int | None = None

    def __post_init__(self) -> None:
        if self.members_per_request < 1:
            raise ValueError("members_per_request must be at least 1")
        if self.max_page_size is not None and self.max_page_size < 1:
            raise ValueError("max_page_size must be at least 1 or None")
        if not self.list_keys:
            raise ValueError("list_keys must name at least one key")

    def op(self, name: Literal["add", "replace", "remove"]) -> str:
        """A PatchOp `op` value in this dialect's casing."""
        return name.title() if self.patch_op_case == "title" else name

    @classmethod
    def goto(cls) -> ScimDialect:
        """GoTo as Entra's gallery connector talks to it; assumptions marked "(unsure)" in goto.md."""
        return cls(
            name="goto",
            patch_op_case="title",
            patch_returns_body=True,
            list_keys=("Resources", "resources"),
            member_removal="value_list",
            members_per_request=100,
            filtered_value_patch="path",
            filter_escape_non_ascii=False,
            content_type=SCIM_MEDIA_TYPE,
            me_path="Users/me",
            max_page_size=100,
        )

    @classmethod
    def rfc7644(cls) -> ScimDialect:
        """A strict SCIM 2.0 peer (scim2-server is one)."""
        return cls()

    @classmethod
    def named(cls, name: str) -> ScimDialect:
        """The preset a setting names (GOTO_SCIM_DIALECT = goto | rfc7644)."""
        presets = {"goto": cls.goto, "rfc7644": cls.rfc7644}
        if name not in presets:
            raise ValueError(f"unknown SCIM dialect {name!r}; known: {sorted(presets)}")
        return presets[name]()
