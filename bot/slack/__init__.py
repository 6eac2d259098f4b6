"""The Slack edge: the Bolt app, its listeners, and the Web API clients.

Only modules in this package may import slack_bolt or slack_sdk (a test checks it).
"""
