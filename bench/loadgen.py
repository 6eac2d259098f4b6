"""The load generator: a separate process with N client threads sending signed requests.

It reads a job (URL, signing secret, concurrency, request bodies) from a JSON file, signs each
body just before sending it (as Slack does, so the timestamp is fresh), and records the time
from sending the request to having read the whole HTTP response — the ack Slack waits for.
Each client keeps one HTTP/1.1 connection open (reconnecting if the server closes it), so the
generator spends as little as possible of the CPU it shares with the servers.

    python -m bench.loadgen JOB.json OUT.json
"""

from __future__ import annotations

import http.client
import itertools
import json
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from slack_sdk.signature import SignatureVerifier

Result = tuple[str, int, float]  # kind, HTTP status (0: no answer), seconds


def run_job(job: dict[str, Any]) -> dict[str, Any]:
    parts = urlsplit(job["url"])
    host, port = parts.hostname or "127.0.0.1", int(parts.port or 80)
    requests: list[dict[str, str]] = job["requests"]
    signer = SignatureVerifier(job["signing_secret"])
    results: list[Result | None] = [None] * len(requests)
    counter = itertools.count()
    start = threading.Barrier(int(job["concurrency"]) + 1)

    def client() -> None:
        connection: http.client.HTTPConnection | None = None
        start.wait()
        while (index := next(counter)) < len(requests):
            request = requests[index]
            body = request["body"]
            timestamp = str(int(time.time()))
            headers = {
                "Content-Type": request["content_type"],
                "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
                "X-Slack-Request-Timestamp": timestamp,
                "X-Slack-Signature": str(signer.generate_signature(timestamp=timestamp, body=body)),
            }
            encoded = body.encode()
            began = time.perf_counter()
            try:
                if connection is None:
                    connection = http.client.HTTPConnection(host, port, timeout=30)
                connection.request("POST", "/slack/events", body=encoded, headers=headers)
                answer = connection.getresponse()
                answer.read()
                status = answer.status
                if answer.will_close:
                    connection.close()
                    connection = None
            except (OSError, http.client.HTTPException):
                status = 0
                if connection is not None:
                    connection.close()
                connection = None
            results[index] = (request["kind"], status, time.perf_counter() - began)
        if connection is not None:
            connection.close()

    threads = [
        threading.Thread(target=client, name=f"client-{n}", daemon=True)
        for n in range(int(job["concurrency"]))
    ]
    for thread in threads:
        thread.start()
    cpu_started = time.process_time()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return {
        "results": [result for result in results if result is not None],
        "wall_seconds": time.perf_counter() - began,
        "cpu_seconds": time.process_time() - cpu_started,
    }


def main(argv: list[str]) -> int:
    job_path, out_path = Path(argv[0]), Path(argv[1])
    outcome = run_job(json.loads(job_path.read_text()))
    out_path.write_text(json.dumps(outcome))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
