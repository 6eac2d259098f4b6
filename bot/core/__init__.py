"""The domain: assessment flow, due dates, scoring, summaries and export.

Nothing in here knows about Slack (a test proves it): listeners parse Slack payloads, call these
functions and render what they return.
"""
