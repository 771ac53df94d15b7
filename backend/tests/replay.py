"""A local HTTP server that replays the metadata providers' recorded answers (tests/data/lookup/), so the ISBN
lookup runs its real HTTP client without reaching the internet. Each path answers what the test set for it:
a recorded file, a status, a delay before the answer, or a body dripped a few bytes at a time.

    with ReplayServer() as server:
        server.answer(OPEN_LIBRARY.path(isbn), file="openlibrary-9780140328721.json")
        server.answer(cover_path("6498519"), body=jpeg_bytes, content_type="image/jpeg")
        app = make_app(LIBRARY_LOOKUP_PROVIDERS="openlibrary", **server.config())
        server.hits[path]   # how often a path was asked
"""

import threading
import time
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "lookup"
FOX_ISBN = "9780140328721"  # Fantastic Mr. Fox: recorded from both providers
FOX_COVER = "/b/id/6498519-L.jpg"


def openlibrary_path(isbn):
    return f"/openlibrary/api/books?bibkeys=ISBN:{isbn}&format=json&jscmd=data"


def googlebooks_path(isbn):
    return f"/google/books/v1/volumes?q=isbn:{isbn}"


def cover_path(path):
    return f"/covers{path}?default=false"


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    delay: float = 0.0  # seconds before the headers
    drip: float = 0.0  # seconds between chunks of 8 bytes (a slow body)


class ReplayServer:
    def __init__(self, default: "Answer | None" = None):
        """default: the answer for a path not set with answer() (else 404)."""
        self.answers: dict[str, Answer] = {}
        self.default = default or Answer(404, b'{"error": "notfound"}')
        self.hits: Counter = Counter()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                server.hits[self.path] += 1
                answer = server.answers.get(self.path, server.default)
                time.sleep(answer.delay)
                try:
                    self.send_response(answer.status)
                    self.send_header("Content-Type", answer.content_type)
                    self.send_header("Content-Length", str(len(answer.body)))
                    self.end_headers()
                    if answer.drip:
                        for start in range(0, len(answer.body), 8):
                            self.wfile.write(answer.body[start:start + 8])
                            self.wfile.flush()
                            time.sleep(answer.drip)
                    else:
                        self.wfile.write(answer.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (its deadline), as it should

            def log_message(self, *_args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *_exc):
        self.httpd.shutdown()
        self.httpd.server_close()

    def config(self, providers="openlibrary,googlebooks", timeout=1.0):
        """App settings that point every provider at this server."""
        return {"LIBRARY_LOOKUP_PROVIDERS": providers, "LIBRARY_LOOKUP_TIMEOUT": timeout,
                "LIBRARY_OPENLIBRARY_URL": f"{self.url}/openlibrary", "LIBRARY_GOOGLEBOOKS_URL": f"{self.url}/google",
                "LIBRARY_OPENLIBRARY_COVERS_URL": f"{self.url}/covers"}

    def answer(self, path, *, file=None, body=b"", **kwargs):
        if file is not None:
            body = (DATA / file).read_bytes()
        self.answers[path] = Answer(body=body, **kwargs)
