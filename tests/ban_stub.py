"""A stand-in for the national address service's batch CSV endpoint, on 127.0.0.1.

It parses the multipart upload as the real service does, answers known addresses with
the real service's result columns, and records what it received.
"""

from __future__ import annotations

import csv
import io
import threading
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RESULT_COLUMNS = [
    "latitude",
    "longitude",
    "result_label",
    "result_score",
    "result_score_next",
    "result_type",
    "result_id",
    "result_housenumber",
    "result_name",
    "result_street",
    "result_postcode",
    "result_city",
    "result_context",
    "result_citycode",
    "result_oldcitycode",
    "result_oldcity",
    "result_district",
    "result_status",
]


class BanStub:
    def __init__(self, answers: dict[str, dict]):
        self.answers = {k.lower(): v for k, v in answers.items()}
        self.requests: list[dict] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers["Content-Length"]))
                message = BytesParser(policy=HTTP).parsebytes(
                    f"Content-Type: {self.headers['Content-Type']}\r\n\r\n".encode() + body
                )
                fields, upload = {}, b""
                for part in message.iter_parts():
                    name = part.get_param("name", header="content-disposition")
                    if part.get_filename():
                        upload = part.get_payload(decode=True)
                    else:
                        fields.setdefault(name, []).append(part.get_content().strip())
                rows = list(csv.DictReader(io.StringIO(upload.decode("utf-8"))))
                stub.requests.append(
                    {"path": self.path, "fields": fields, "rows": rows, "columns": list(rows[0]) if rows else []}
                )
                out = io.StringIO()
                writer = csv.DictWriter(out, fieldnames=[*(rows[0] if rows else []), *RESULT_COLUMNS])
                writer.writeheader()
                for row in rows:
                    query = " ".join(row[c] for c in fields.get("columns", [])).lower()
                    answer = stub.answers.get(query)
                    result = dict.fromkeys(RESULT_COLUMNS, "")
                    if answer:
                        result.update(answer, result_status="ok")
                    else:
                        result["result_status"] = "not-found"
                    writer.writerow({**row, **result})
                payload = out.getvalue().encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "text/csv; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/geocodage/search/csv"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
