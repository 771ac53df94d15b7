"""Reference (2) of the benchmark: a bare WSGI app that answers every request with the saved bytes of the API's
first list page, as application/json. run.py starts it with the app's own gunicorn settings
(backend/gunicorn.conf.py) on the app's upstream port, so nginx proxies /api to it exactly as it proxies the app.

    BENCH_REFAPP_BODY=page1.json gunicorn -c backend/gunicorn.conf.py --pythonpath bench refapp:app
"""

import os

with open(os.environ["BENCH_REFAPP_BODY"], "rb") as _f:
    BODY = _f.read()
HEADERS = [("Content-Type", "application/json"), ("Content-Length", str(len(BODY)))]


def app(environ, start_response):
    start_response("200 OK", HEADERS)
    return [BODY]
