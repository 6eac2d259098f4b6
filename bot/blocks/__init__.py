"""Block Kit, built by pure functions that return dicts (no Slack imports, easy to test)."""
