"""Keeping the repo honest: the core stays Slack-free; manifest, code and README agree."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import jsonschema
import yaml

from tests.harness import RunningApp

ROOT = Path(__file__).resolve().parents[1]
SLACK_PACKAGES = ("slack_bolt", "slack_sdk")
# Slack's manifest schema (MIT, from Slack's public manifest-schema project), vendored with its
# licence beside it: a fresh clone has nothing next to it, so tests read only what the repo holds.
SCHEMA = ROOT / "tests" / "data" / "slack" / "manifest.schema.1.0.0.json"
SCHEMA_LICENCE = SCHEMA.with_name("manifest.schema.LICENSE")
# Tracked files the product and its tests are made of; none may reach outside the checkout.
OWN_FILES = ("bot", "storage", "standards", "tests", "bench", "Makefile", "pyproject.toml", ".ci")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def core_files() -> list[Path]:
    files = [
        path
        for package in ("bot", "storage", "standards")
        for path in (ROOT / package).rglob("*.py")
        if "slack" not in path.relative_to(ROOT).parts[1:2]
    ]
    assert len(files) > 20
    return files


def test_core_imports_nothing_from_slack() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            name for name in imported_modules(path) if name.startswith(SLACK_PACKAGES)
        )
        for path in core_files()
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_slack_layer_really_is_where_slack_is_used() -> None:
    slack_files = list((ROOT / "bot" / "slack").rglob("*.py"))
    assert any(
        name.startswith(SLACK_PACKAGES) for path in slack_files for name in imported_modules(path)
    )


def manifest() -> dict[str, object]:
    loaded = yaml.safe_load((ROOT / "app_manifest.yml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def test_manifest_is_valid_against_slacks_schema() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.validate(manifest(), schema)


def test_the_vendored_schema_keeps_its_licence() -> None:
    licence = SCHEMA_LICENCE.read_text(encoding="utf-8")
    assert "MIT License" in licence and "Slack Technologies" in licence


def own_files() -> list[Path]:
    """Every file of the product and its tests, as a clone has them (caches left out)."""
    found = []
    for name in OWN_FILES:
        top = ROOT / name
        paths = [top] if top.is_file() else sorted(top.rglob("*"))
        found += [
            path
            for path in paths
            if path.is_file()
            and "__pycache__" not in path.parts
            and path.suffix not in {".pyc", ".db", ".png"}
        ]
    return found


def test_nothing_reads_from_beside_the_checkout() -> None:
    # A relative path up to the folder beside the checkout, a pathlib parent joined with its
    # name, or its absolute path: assembled at run time so that this file does not match itself.
    word = "sha" + "red"
    beside = re.compile(rf"\.\./{word}\b|parents?(\[\d+\])?\s*/\s*[\"']{word}[\"']|/work/{word}\b")
    files = own_files()
    assert ROOT / "tests" / "test_architecture.py" in files and len(files) > 50
    offenders = []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, FileNotFoundError):
            continue
        offenders += [f"{path.relative_to(ROOT)}: {m.group(0)}" for m in beside.finditer(text)]
    assert offenders == []


SCOPE_FOR_METHOD = {
    "chat.postMessage": "chat:write",
    "chat.postEphemeral": "chat:write",
    "chat.update": "chat:write",
    "chat.delete": "chat:write",
    "users.info": "users:read",
    "conversations.open": "im:write",
    "conversations.info": "channels:read",
    "files.getUploadURLExternal": "files:write",
    "files.completeUploadExternal": "files:write",
    "files_upload_v2": "files:write",
}


def test_every_scope_the_code_needs_is_in_the_manifest() -> None:
    source = "\n".join(path.read_text(encoding="utf-8") for path in (ROOT / "bot").rglob("*.py"))
    used = {
        method
        for method in SCOPE_FOR_METHOD
        if re.search(r"\b" + method.replace(".", "_") + r"\(", source)
    }
    assert {"chat.postMessage", "users.info", "conversations.open"} <= used
    scopes = set(manifest()["oauth_config"]["scopes"]["bot"])  # type: ignore[index]
    assert {SCOPE_FOR_METHOD[method] for method in used} <= scopes
    assert "commands" in scopes


def test_readme_documents_every_subcommand_and_setting(slack_app: RunningApp) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    subcommands = slack_app.router.subcommands
    assert {"help", "new", "edit", "archive", "list", "start", "status"} <= set(subcommands)
    for name in subcommands:
        assert f"/assess {name}" in readme, f"README does not document /assess {name}"
    for setting in (
        "SLACK_BOT_TOKEN",
        "SLACK_APP_TOKEN",
        "SLACK_SIGNING_SECRET",
        "SLACK_API_URL",
        "DATABASE_URL",
        "PORT",
        "ASSESSBOT_TIMEZONE",
        "ASSESSBOT_ADMINS",
        "ASSESSBOT_STANDARDS_DIR",
        "ASSESSBOT_BANK_HOLIDAYS",
        "ASSESSBOT_TICK_MINUTES",
    ):
        assert setting in readme, f"README does not document {setting}"
