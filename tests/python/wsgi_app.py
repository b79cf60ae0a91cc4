# SPDX-License-Identifier: Apache-2.0
"""The WSGI app of test_gunicorn.py and test_uwsgi.py: one labelled counter and one latency
histogram per request, defined at import (in the master under gunicorn --preload or uWSGI
without --lazy-apps), updated in the workers."""
import os

from shmon.prometheus import Counter, Histogram

REQUESTS = Counter("app_requests", "Requests served.", ["route"])
LATENCY = Histogram("app_latency_seconds", "Time to serve a request.")


def app(environ, start_response):
    with LATENCY.time():
        REQUESTS.labels(environ["PATH_INFO"]).inc()
        body = str(os.getpid()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
