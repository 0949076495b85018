"""KeyVaultSimulator: Key Vault's secrets API over HTTPS on loopback, for the real SecretClient.

The SDK needs two concessions, both client-side and both sandbox-only: `connection_verify=ca_file`
(the certificate is self-signed) and `verify_challenge_resource=False` (the challenge names
vault.azure.net, which 127.0.0.1 is not a subdomain of). See `client_options()`.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Any

from sandbox._server import ServerThread
from sandbox.keyvault.app import KeyVaultApp
from sandbox.keyvault.tls import make_loopback_certificate
from sandbox.keyvault.vault import Vault


class _TlsServerThread(ServerThread):
    """ServerThread with its listening socket wrapped in TLS, as werkzeug does for `ssl_context`."""

    def __init__(self, app: Any, *, cert_dir: Path, port: int = 0) -> None:
        super().__init__(app, port=port)
        context = make_loopback_certificate(cert_dir).server_context()
        server = self._server
        # The handshake happens on the connection's first read, in its handler thread: done in
        # accept() it would let one silent client block the accept loop (and stop()) forever.
        server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
        server.ssl_context = context  # werkzeug reads it to set wsgi.url_scheme = "https"

    @property
    def url(self) -> str:
        return f"https://{self.host}:{self.port}"


class KeyVaultSimulator:
    """Start with `.start()` or `with`; `.vault` holds the secrets, `.app.fail_next()` injects errors."""

    def __init__(self, *, port: int = 0) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix="sandbox-keyvault-"))
        self.app = KeyVaultApp(Vault())
        self._server = _TlsServerThread(self.app, cert_dir=self._dir, port=port)

    @property
    def url(self) -> str:
        """The vault URL, as `https://<name>.vault.azure.net` is in Azure."""
        return self._server.url

    @property
    def ca_file(self) -> str:
        """The simulator's certificate: pass it as `connection_verify` to trust the server."""
        return str(self._dir / "vault-cert.pem")

    @property
    def vault(self) -> Vault:
        return self.app.vault

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for `SecretClient(url, credential, **options)` against this simulator."""
        return {"connection_verify": self.ca_file, "verify_challenge_resource": False}

    def start(self) -> KeyVaultSimulator:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()
        shutil.rmtree(self._dir, ignore_errors=True)

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def __enter__(self) -> KeyVaultSimulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
