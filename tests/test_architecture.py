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
    "users.list": "users:read",
    "conversations.history": "channels:history",
    "conversations.replies": "channels:history",
}
# Reading history (to settle a post whose answer was lost) in each kind of conversation the
# bot posts claimed messages to: public and private team channels, and reminder DMs.
HISTORY_SCOPES = {"channels:history", "groups:history", "im:history"}


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
    assert {"conversations.history", "conversations.replies"} <= used
    assert scopes >= HISTORY_SCOPES
    # the narrowest set: no group DMs (the bot never posts in them), no user-token scopes
    assert "mpim:history" not in scopes
    assert "user" not in manifest()["oauth_config"]["scopes"]  # type: ignore[operator, index]


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


# Who may import whom (module-name prefixes). bot.deps, bot.config and bot.clock are the
# wiring every layer is handed; they import no layer above them. bot.blocks may show the
# rows it is given (storage.models) and the shared value types (storage.values), but may not
# query: no storage.*_queries, no sessions.
WIRING = ("bot.deps", "bot.config", "bot.clock")
ALLOWED_BOT_IMPORTS = {
    "bot/slack": ("bot.slack", "bot.blocks", "bot.core", "bot.scheduler", *WIRING),
    "bot/blocks": ("bot.blocks", "bot.core", *WIRING),
    "bot/core": ("bot.core", *WIRING),
    "storage": (),
    "standards": (),
}
ALLOWED_STORAGE_IMPORTS = {
    "bot/blocks": ("storage.models", "storage.values", "storage.views", "storage.types"),
}


def _layer_files(layer: str) -> list[Path]:
    files = list((ROOT / layer).rglob("*.py"))
    assert files, layer
    return files


def wrong_way_imports(layer: str, path: Path) -> list[str]:
    allowed_bot = ALLOWED_BOT_IMPORTS[layer]
    allowed_storage = ALLOWED_STORAGE_IMPORTS.get(layer)
    found = []
    for name in sorted(imported_modules(path)):
        bad_bot = (name == "bot" or name.startswith("bot.")) and not name.startswith(allowed_bot)
        bad_storage = (
            allowed_storage is not None
            and name.startswith("storage")
            and not name.startswith(allowed_storage)
        )
        if bad_bot or bad_storage:
            found.append(name)
    return found


def test_layers_point_one_way() -> None:
    offenders = {
        str(path.relative_to(ROOT)): wrong_way_imports(layer, path)
        for layer in ALLOWED_BOT_IMPORTS
        for path in _layer_files(layer)
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_the_layer_check_catches_wrong_way_imports(tmp_path: Path) -> None:
    """The rule above is only worth something if it can fail, in every direction."""
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from bot.core.reminders import plan_nudges\n"
        "from bot.blocks.words import day\n"
        "from bot.slack.thread import post_card\n"
        "from storage.reminder_queries import current_snooze\n"
        "from storage.values import Rating\n"
    )
    assert wrong_way_imports("storage", bad) == [
        "bot.blocks.words",
        "bot.core.reminders",
        "bot.slack.thread",
    ]
    assert wrong_way_imports("standards", bad) == wrong_way_imports("storage", bad)
    assert wrong_way_imports("bot/core", bad) == ["bot.blocks.words", "bot.slack.thread"]
    assert wrong_way_imports("bot/blocks", bad) == [
        "bot.slack.thread",
        "storage.reminder_queries",
    ]
    assert wrong_way_imports("bot/slack", bad) == []


# Calls that reach Slack (the Web API, a response_url, an ack), directly or through our own
# helpers that do. None may run inside a `with ...sessions...` block: a slow Slack would hold
# the transaction, its locks and its pooled connection for as long as Slack takes.
SLACK_REACHING_CALLS = {
    *[
        "chat_postMessage",
        "chat_update",
        "chat_postEphemeral",
        "chat_delete",
        "views_open",
        "views_push",
        "views_update",
        "views_publish",
        "users_info",
        "users_list",
        "conversations_info",
        "conversations_open",
        "conversations_history",
        "conversations_replies",
        "files_upload_v2",
    ],
    *["respond", "reply", "ack", "tell", "_tell"],
    *["lookup", "may_manage", "manages", "admin_here", "named_service", "service_to_manage"],
    *[
        "post_card",
        "refresh_card",
        "refresh_parent",
        "announce_completion",
        "post_claimed",
        "post_summary",
    ],
}


def slack_calls_inside_sessions(source: str) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.With):
            continue
        if not any("sessions" in ast.unparse(item.context_expr) for item in node.items):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.Call):
                func = inner.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name in SLACK_REACHING_CALLS:
                    found.append((inner.lineno, name))
    return found


def test_no_slack_call_while_a_session_is_open() -> None:
    offenders = {
        str(path.relative_to(ROOT)): calls
        for path in (ROOT / "bot").rglob("*.py")
        if (calls := slack_calls_inside_sessions(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}
    # and the check finds the pattern this rule replaced:
    old = (
        "with deps.sessions.begin() as session:\n"
        "    service = session.get(Service, 1)\n"
        "    if not may_manage(SlackDirectory(client), user, service, admins):\n"
        "        respond(text='no')\n"
    )
    assert slack_calls_inside_sessions(old) == [(3, "may_manage"), (4, "respond")]
