"""Fixed sandbox identities and SCIM URNs, shared by the simulator, its fixtures and other tests."""

from __future__ import annotations

# Static bearer token accepted by the SCIM API; it never expires (sandbox convenience, not GoTo's).
SANDBOX_GOTO_TOKEN = "sandbox-goto-token"

# The pre-registered OAuth client. It is a "legacy" client that kept the password grant.
SANDBOX_CLIENT_ID = "sandbox-client"
SANDBOX_CLIENT_SECRET = "sandbox-client-secret"
SANDBOX_REDIRECT_URIS: tuple[str, ...] = (
    "http://127.0.0.1/oauth/callback",
    "http://localhost/oauth/callback",
)

# The organization admin who consents on /oauth/authorize and whom /Users/me returns.
SANDBOX_ADMIN_USERNAME = "admin@contoso.com"
SANDBOX_ADMIN_PASSWORD = "sandbox-admin-password"
SANDBOX_ADMIN_GIVEN_NAME = "Sandbox"
SANDBOX_ADMIN_FAMILY_NAME = "Admin"
SANDBOX_ACCOUNT_KEY = "4201337000000000042"
SANDBOX_ACCOUNT_NAME = "Contoso"

VERIFIED_DOMAINS: tuple[str, ...] = ("contoso.com",)
DEFAULT_SCOPE = "identity:scim.org identity:scim.me"

SCIM_BASE_PATH = "/identity/v1"
SCIM_MEDIA_TYPE = "application/scim+json"

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GETGO_SCHEMA = "urn:scim:schemas:extension:getgo:1.0"
LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SPC_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
SCHEMA_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"

# Limits stated in goto.md.
MAX_USERNAME_LENGTH = 128
MAX_NAME_PART_LENGTH = 60
MAX_GROUP_NAME_LENGTH = 128
MAX_GROUP_MEMBERS = 100
# Page size cap (assumed; GoTo's is undocumented).
MAX_PAGE_SIZE = 100
