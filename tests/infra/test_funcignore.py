""".funcignore keeps the package to the app: function_app.py, host.json, requirements.txt and
provisioning/; never the sandbox, tests, benchmarks, infra, docs, or azd's local state (.azure/,
which can hold secrets)."""

from __future__ import annotations

import fnmatch
import shutil
import subprocess

from tests.infra.bicep import ROOT

# What may ship besides provisioning/: the app and harmless metadata.
ALLOWED_AT_ROOT = {"function_app.py", "host.json", "requirements.txt", "README.md", "LICENSE", ".funcignore"}


def patterns() -> list[str]:
    lines = (ROOT / ".funcignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def ignored(path: str, rules: list[str]) -> bool:
    """gitignore semantics for the pattern kinds .funcignore uses: a pattern without a slash matches
    any path component; none of them is negated."""
    assert not any(rule.startswith("!") or "/" in rule.strip("/") for rule in rules), "extend ignored()"
    return any(fnmatch.fnmatchcase(part, rule.strip("/")) for part in path.split("/") for rule in rules)


def repository_files() -> list[str]:
    listed = subprocess.run(
        [shutil.which("git") or "git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    return [path for path in listed if (ROOT / path).is_file()]


def test_the_package_holds_the_app_and_all_of_provisioning() -> None:
    rules = patterns()
    files = repository_files()
    packaged = {path for path in files if not ignored(path, rules)}
    assert {"function_app.py", "host.json", "requirements.txt"} <= packaged
    code = {path for path in files if path.startswith("provisioning/") and path.endswith(".py")}
    assert len(code) > 20 and code <= packaged


def test_the_package_holds_nothing_else() -> None:
    """Everything packaged is the app or harmless metadata; the sandbox, tests, tooling and azd's local
    state (checked with files azd and Core Tools create: .azure/ENV/.env, local.settings.json) are not."""
    rules = patterns()
    candidates = [*repository_files(), ".azure/prod/.env", ".azure/config.json", "local.settings.json"]
    packaged = [path for path in candidates if not ignored(path, rules)]
    assert [
        path for path in packaged if not (path.startswith("provisioning/") or path in ALLOWED_AT_ROOT)
    ] == []
