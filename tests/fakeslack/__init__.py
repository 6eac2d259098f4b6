"""A strict fake of Slack for tests: Web API, response_urls, file uploads and Socket Mode.

with FakeSlack(bot_token="xoxb-test") as fake:
    client = WebClient(base_url=fake.api_url, token="xoxb-test")
"""

from .blockkit import validate_blocks, validate_view
from .faults import Fault
from .methods_views import InvalidAck
from .server import FakeSlack
from .state import BOT_ID, BOT_USER_ID, Call, ResponsePost, Surface, UploadedFile

__all__ = [
    "BOT_ID",
    "BOT_USER_ID",
    "Call",
    "FakeSlack",
    "Fault",
    "InvalidAck",
    "ResponsePost",
    "Surface",
    "UploadedFile",
    "validate_blocks",
    "validate_view",
]
