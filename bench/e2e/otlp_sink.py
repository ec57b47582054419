#!/usr/bin/env python3
"""An OTLP/HTTP receiver for bench/e2e/layers.sh: answers every export `200` with an empty
`ExportTraceServiceResponse` (an empty protobuf message), and on exit says how many exports
and bytes it took, so a run shows that the `otel` variant did export. It does not decode the
spans (the tests' receiver in tests/tests/otel.rs does); here only the exporter's cost in the
server matters.

    python3 bench/e2e/otlp_sink.py [PORT]      default 4318
"""
import http.server
import signal
import sys

received = {"exports": 0, "bytes": 0}


class Sink(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        length = int(self.headers.get("content-length", "0"))
        self.rfile.read(length)
        received["exports"] += 1
        received["bytes"] += length
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 4318
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Sink)

    def stop(*_):
        print(f"otlp_sink: {received['exports']} exports, {received['bytes']:,} bytes",
              file=sys.stderr)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    server.serve_forever()


if __name__ == "__main__":
    main()
