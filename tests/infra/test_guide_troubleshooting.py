"""The guide's troubleshooting table uses the real messages: every message in code font is text the
app prints (found in provisioning/ or infra/scripts/, `…` standing for a value), and every CLI error
kind, every audit error code and every recommended action the engine records has its row."""

from __future__ import annotations

import ast
import re

from provisioning.engine import apply
from provisioning.errors import LicenseSeatsError, UnauthorizedError
from provisioning.target import responses
from tests.infra.bicep import ROOT, Template, conditional_branches, render
from tests.infra.guide import code_spans, guide_text, table_after

SOURCES = [*sorted((ROOT / "provisioning").rglob("*.py")), *sorted((ROOT / "infra" / "scripts").glob("*.sh"))]
CLI_PREFIX = re.compile(r"^error \((?P<kind>[a-z]+)\): ")
AUDIT_CODE = re.compile(r"^GoTo[A-Z][A-Za-z]+(\d{3}|…)?$")


def source_text() -> str:
    return "\n".join(path.read_text() for path in SOURCES)


def rows() -> list[list[str]]:
    found = table_after("## 6. Troubleshooting")
    assert len(found) >= 20 and all(len(row) == 3 for row in found)
    return found


def message_spans() -> list[str]:
    return [span for row in rows() for span in code_spans(row[0])]


def cli_error_kinds() -> set[str]:
    """Every kind the CLI can print as `error (kind): …`: the first argument of each
    `_cannot_run("kind", …)` call in the CLI and of each `Mapped("kind", …)` in the error table."""
    kinds: set[str] = set()
    for path in sorted((ROOT / "provisioning").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) in ("_cannot_run", "Mapped")
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                kinds.add(node.args[0].value)
    return kinds


def audit_codes() -> set[str]:
    """The error codes apply.py records: GoTo + error class without 'Error' + HTTP status, where a
    status maps to a class; retryable statuses are Transient, any other Target."""
    codes = {
        f"GoTo{kind.__name__.removesuffix('Error')}{status}"
        for status, kind in responses._BY_STATUS.items()
        if not issubclass(kind, UnauthorizedError)  # re-raised: the run stops, no audit record
    }
    codes |= {f"GoToTransient{status}" for status in responses.RETRYABLE_STATUSES} | {"GoToTransient"}
    seats = f"GoTo{LicenseSeatsError.__name__.removesuffix('Error')}409"  # the Admin API's no-free-seat 409
    return codes | {"GoToTarget…", seats}


def test_every_message_in_code_font_is_printed_by_the_app() -> None:
    sources = source_text()
    kinds = cli_error_kinds()
    codes = audit_codes()
    for span in message_spans():
        if AUDIT_CODE.match(span):
            assert span in codes, f"{span} is not an error code apply.py can record"
            continue
        prefix = CLI_PREFIX.match(span)
        if prefix:
            assert prefix.group("kind") in kinds, span
            assert 'print(f"error ({kind}): {message}"' in sources
            span = span[prefix.end() :]
        for chunk in span.split("…"):
            if len(chunk.strip()) >= 3:
                assert chunk in sources, f"not in provisioning/ or infra/scripts/: {chunk!r} (from {span!r})"


def test_every_cli_error_kind_has_a_row() -> None:
    spans = message_spans()
    for kind in sorted(cli_error_kinds()):
        assert any(span.startswith(f"error ({kind}): ") for span in spans), kind


def test_every_audit_error_code_has_a_row() -> None:
    spans = set(message_spans())
    expected = {code for code in audit_codes() if not re.search(r"GoToTransient(50[024])$", code)}
    assert expected - spans == set()  # 500/502/504 read like 503: one row shows the pattern


def test_every_recommended_action_is_quoted_verbatim() -> None:
    text = guide_text()
    for kind, action in apply._RECOMMENDED.items():
        assert action in text, f"the guide lacks the recommended action for {kind.__name__}"


def test_an_unresolved_key_vault_reference_is_explained_with_the_text_the_app_receives(
    main: Template,
) -> None:
    """The literal the guide quotes is the reference the template writes, its names elided."""
    secret = conditional_branches(main.variable("appSettings")["GOTO_CLIENT_SECRET"])[-1]
    literal = re.sub(r"\$\{\w+\}", "…", render(secret))
    assert literal == "@Microsoft.KeyVault(VaultName=…;SecretName=…)"
    text = " ".join(guide_text().split())
    assert "**A Key Vault reference whose secret was never stored.**" in text
    assert f"the literal text `{literal}`" in text
    assert "reports a configuration error naming the setting" in text
