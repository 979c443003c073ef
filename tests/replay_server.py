"""Recorded exchanges served over real HTTP on 127.0.0.1, for CLI and crash tests.

`base_url(host)` gives `http://127.0.0.1:PORT/<host>`: a request there is answered
with the exchange recorded for `https://<host>/...`, and absolute URLs in the
answer (pagination links) are rewritten to point back here.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

from cmdesk.connectors.replay import Replay


class ReplayServer:
    def __init__(self, replay: Replay) -> None:
        self.replay = replay
        self.requests: list[str] = []
        handler = self._handler_class()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.port = self.httpd.server_address[1]
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def base_url(self, host: str) -> str:
        return f"http://127.0.0.1:{self.port}/{host}"

    def __enter__(self) -> ReplayServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _answer(self) -> None:
                host, _, rest = self.path.lstrip("/").partition("/")
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                server.requests.append(f"{self.command} {self.path}")
                request = httpx.Request(self.command, f"https://{host}/{rest}", content=body)
                response = server.replay.handle(request)
                local = server.base_url(host).encode()
                content = response.content.replace(f"https://{host}".encode(), local)
                self.send_response(response.status_code)
                for name, value in response.headers.items():
                    if name.lower() not in ("content-length", "transfer-encoding"):
                        self.send_header(name, value.replace(f"https://{host}", local.decode()))
                self.send_header("content-length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            do_GET = do_POST = do_PUT = do_DELETE = _answer

        return Handler
