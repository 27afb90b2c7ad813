"""gunicorn, OpenMASH's production server: `make serve`, or the systemd unit in deploy/.

Everything can be set from the environment (deploy/openmash.env.example):
  GUNICORN_BIND           where to listen (127.0.0.1:8000: nginx in front terminates TLS)
  GUNICORN_WORKER_CLASS   gthread (default) or sync
  GUNICORN_WORKERS        processes (default: one per CPU, plus one)
  GUNICORN_THREADS        threads per process for gthread (default 4); keep
                          DATABASE_POOL_MAX_SIZE at least this plus
                          METRICS_DATABASE_CONNECTIONS - 1: each thread holds one pooled
                          database connection while it answers a request, and figures
                          pages borrow up to that many more (ADR 0034)
  GUNICORN_TIMEOUT        seconds before a stuck worker is killed and replaced (60)
The access log is one JSON object a line with the path but never the query string, the
referrer or cookies, so no search term or other personal data reaches it
(docs/adr/0020-production-server-and-safe-defaults.md).
"""

import json
import multiprocessing
import os
import re
from datetime import UTC, datetime
from typing import Any

from gunicorn.glogging import Logger

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
workers = int(os.environ.get("GUNICORN_WORKERS", str(multiprocessing.cpu_count() + 1)))
threads = int(os.environ.get("GUNICORN_THREADS", "4" if worker_class == "gthread" else "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# Recycle each worker now and then, so a slow leak cannot grow without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 10
# Request line and headers: no legitimate request is near these.
limit_request_line = 4094
limit_request_fields = 100
# The proxy in front (nginx on the same machine) says the request came over HTTPS.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
wsgi_app = "openmash.wsgi:application"
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
proc_name = "openmash"
# gunicorn 27's control socket lives in the user's home by default, which the systemd
# unit makes read-only and which two servers on one machine would share: off unless a
# path is given.
control_socket_disable = "GUNICORN_CONTROL_SOCKET" not in os.environ
if not control_socket_disable:
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]


# The secret in a link to set a new password (/accounts/reset/<id>/<secret>/) is a
# credential while it lasts: it never reaches the log.
_RESET_LINK = re.compile(r"^(/accounts/reset/[^/]+/)[^/]+/$")


def logged_path(path: str) -> str:
    return _RESET_LINK.sub(r"\1-/", path)


class JsonAccessLogger(Logger):
    """Access log lines as JSON: method, path without its query string, status, bytes,
    milliseconds and the request id OpenMASH gave the request (X-Request-ID)."""

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        if not self.access_log_enabled:
            return
        status = resp.status
        if isinstance(status, str):
            status = status.split(None, 1)[0]
        request_id = "-"
        for name, value in resp.headers:
            if name.lower() == "x-request-id":
                request_id = value
        line = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "level": "INFO",
            "logger": "gunicorn.access",
            "request_id": request_id,
            "method": environ.get("REQUEST_METHOD"),
            "path": logged_path(environ.get("PATH_INFO") or ""),
            "status": int(status),
            "bytes": getattr(resp, "sent", None),
            "duration_ms": round(request_time.total_seconds() * 1000, 1),
            "remote_addr": environ.get("REMOTE_ADDR"),
        }
        try:
            self.access_log.info(json.dumps(line))
        except Exception:
            self.exception("Could not write an access log line")


logger_class = JsonAccessLogger
