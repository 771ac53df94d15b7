"""/api/metrics: the Prometheus metrics (library/metrics.py), for the operator's monitoring, not for visitors.

Who may scrape: with LIBRARY_METRICS_TOKEN set, whoever sends it as a bearer token (through nginx too);
without it, only callers that reach gunicorn directly, on the internal network (compose's, or loopback),
never a request that came through the proxy. nginx also refuses /api/metrics without credentials.
"""

import hmac

from flask import current_app, request
from flask.views import MethodView

from .. import metrics
from ..authz import METRICS, access
from ..errors import PROBLEM_JSON, Problem, ProblemSchema
from .base import Blueprint

blp = Blueprint("metrics", __name__, url_prefix="/api", description="Metrics for monitoring (Prometheus)")


def _check_scraper():
    token = current_app.config["LIBRARY_METRICS_TOKEN"]
    if token:
        scheme, _, sent = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(sent.strip().encode(), token.encode()):
            raise Problem(401, "Send the metrics token (LIBRARY_METRICS_TOKEN) as a bearer token.",
                          headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    elif "HTTP_X_FORWARDED_FOR" in request.environ:
        raise Problem(403, "Metrics are served to the internal network only; set LIBRARY_METRICS_TOKEN to "
                           "scrape them through the proxy.")


@blp.route("/metrics")
class Metrics(MethodView):
    @access(METRICS)
    @blp.doc(operationId="getMetrics", security=[{"metricsToken": []}, {}], responses={
        "200": {"description": "Prometheus text exposition format",
                "content": {"text/plain": {"schema": {"type": "string"}}}}})
    @blp.alt_response(401, schema=ProblemSchema, content_type=PROBLEM_JSON,
                      description="LIBRARY_METRICS_TOKEN is set and the request does not carry it")
    @blp.alt_response(403, schema=ProblemSchema, content_type=PROBLEM_JSON,
                      description="No metrics token is set and the request came through the proxy")
    def get(self):
        """Request counts and latencies by route, database pool and errors, response cache, logins, circulation
        events, for Prometheus"""
        _check_scraper()
        body = metrics.exposition(current_app.config["LIBRARY_METRICS_MULTIPROCESS"])
        return current_app.response_class(body, mimetype=None, content_type=metrics.CONTENT_TYPE,
                                          headers={"Cache-Control": "no-store"})
