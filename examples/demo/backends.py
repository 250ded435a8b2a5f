#!/usr/bin/env python3
"""The two versions of "reviews" for the demo: each answers with its own name."""
import http.server
import threading

BACKENDS = [("127.0.0.2", 9080, "reviews-v1"), ("127.0.0.3", 9080, "reviews-v2")]


def serve(address, port, name):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = (name + "\n").encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, fmt, *args):
            pass

    http.server.ThreadingHTTPServer((address, port), Handler).serve_forever()


if __name__ == "__main__":
    for address, port, name in BACKENDS:
        threading.Thread(target=serve, args=(address, port, name), daemon=True).start()
        print(f"{name} listening on {address}:{port}")
    threading.Event().wait()
