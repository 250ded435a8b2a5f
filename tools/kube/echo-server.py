#!/usr/bin/env python3
"""A workload stand-in for test hosts: answers every HTTP request with its own name.

Usage: echo-server.py --name NAME --port PORT [--bind ADDRESS] [--log FILE]

Each reply carries the name in its body and in an `x-served-by` header (what the e2e tests read to tell where
traffic landed). With --log, every request is appended to FILE as one JSON line: method, path, headers (lower-case
names), so a test can check what arrived. Run it inside a network-namespace test host:
    tools/kube/netns.sh exec h1 python3 tools/kube/echo-server.py --name reviews-v1 --port 9080
It stops on SIGTERM or SIGINT.
"""
import argparse
import http.server
import json
import signal
import sys
import threading


def main():
    parser = argparse.ArgumentParser(description="HTTP server that answers with its name")
    parser.add_argument("--name", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--bind", default="0.0.0.0")
    parser.add_argument("--log")
    args = parser.parse_args()
    log_lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as Envoy's connection pools expect

        def _answer(self):
            length = int(self.headers.get("content-length") or 0)
            if length:
                self.rfile.read(length)
            if args.log:
                record = {
                    "method": self.command,
                    "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                }
                with log_lock, open(args.log, "a", encoding="utf-8") as out:
                    out.write(json.dumps(record) + "\n")
            body = (args.name + "\n").encode()
            self.send_response(200)
            self.send_header("x-served-by", args.name)
            self.send_header("content-type", "text/plain")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _answer

        def log_message(self, fmt, *fargs):
            pass  # requests go to --log; stderr stays for errors

    server = http.server.ThreadingHTTPServer((args.bind, args.port), Handler)
    server.daemon_threads = True
    # shutdown() must run on another thread than serve_forever().
    stop = lambda *_: threading.Thread(target=server.shutdown).start()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"{args.name} listening on {args.bind}:{args.port}", file=sys.stderr, flush=True)
    server.serve_forever()
    server.server_close()


if __name__ == "__main__":
    main()
