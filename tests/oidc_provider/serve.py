"""Runs the test OpenID Connect provider: `python -m tests.oidc_provider.serve`.

Creates its database, binds 127.0.0.1 on a free port, prints "listening on
http://127.0.0.1:PORT" once it answers, and serves (a thread a connection) until
stopped. The fixture in tests/oidc_provider/fixtures.py starts and stops it.
"""

import os
from typing import Any


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.oidc_provider.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application

    call_command("migrate", verbosity=0, interactive=False)

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler)
    httpd.set_app(get_wsgi_application())
    # The socket is listening already: connections wait in its backlog until served.
    print(f"listening on http://127.0.0.1:{httpd.server_port}", flush=True)
    httpd.serve_forever()


if __name__ == "__main__":
    main()
