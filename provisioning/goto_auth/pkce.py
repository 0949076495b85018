"""PKCE (RFC 7636, S256) for GoTo's authorization code flow: a stolen code is useless without the
verifier that only the party that started the authorization holds.

GoTo does not document PKCE; RFC 6749 §3.1 has an authorization server ignore parameters it does
not know, so sending them is harmless where they are not checked. For the browser flow the verifier
is kept with the single-use state in Table Storage, sealed with a key derived from the state: the
table alone does not give it, nor does the state alone (which travels in the redirect).
"""

from __future__ import annotations

import base64
import hashlib
import secrets

METHOD = "S256"
_VERIFIER_BYTES = 32  # 43 characters once base64url-encoded, RFC 7636's minimum length
_SEAL_LABEL = b"goto-provisioning pkce verifier\x00"


def new_verifier() -> str:
    """A high-entropy code_verifier (43 characters of [A-Za-z0-9_-])."""
    return _b64(secrets.token_bytes(_VERIFIER_BYTES))


def challenge(verifier: str) -> str:
    """The S256 code_challenge: BASE64URL(SHA256(ASCII(code_verifier))) without padding."""
    return _b64(hashlib.sha256(verifier.encode("ascii")).digest())


def seal(verifier: str, *, state: str) -> str:
    """The verifier as stored next to the state's hash: XOR with a pad derived from the state."""
    raw = _unb64(verifier)
    if len(raw) != _VERIFIER_BYTES:
        raise ValueError("only verifiers made by new_verifier() can be sealed")
    return bytes(a ^ b for a, b in zip(raw, _pad(state), strict=True)).hex()


def unseal(sealed: str, *, state: str) -> str:
    raw = bytes.fromhex(sealed)
    if len(raw) != _VERIFIER_BYTES:
        raise ValueError("the sealed verifier has the wrong length")
    return _b64(bytes(a ^ b for a, b in zip(raw, _pad(state), strict=True)))


def _pad(state: str) -> bytes:
    return hashlib.sha256(_SEAL_LABEL + state.encode()).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
