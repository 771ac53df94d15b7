"""/api: the index, the health check and the docs page."""

from pathlib import Path

from flask import current_app, render_template, send_from_directory
from flask.views import MethodView
from ..errors import PROBLEM_JSON, ProblemSchema
from ..authz import PUBLIC, access
from .base import Blueprint
from marshmallow import Schema, fields
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

import flask_swagger_ui

from ..errors import problem_response
from ..extensions import db
from ..services import revisions

blp = Blueprint("meta", __name__, url_prefix="/api", description="Index, health, readiness and documentation")
NO_STORE = {"Cache-Control": "no-store"}

SWAGGER_DIST = Path(flask_swagger_ui.__path__[0]) / "dist"
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
DOC_ASSETS = {"swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png"}


class IndexOut(Schema):
    name = fields.String(required=True)
    version = fields.String(required=True)
    links = fields.Dict(keys=fields.String(), values=fields.String(), required=True)


class HealthOut(Schema):
    status = fields.String(required=True, metadata={"enum": ["ok"]})
    database = fields.String(required=True, metadata={"enum": ["ok"]})


@blp.route("")
class Index(MethodView):
    @access(PUBLIC)
    @blp.doc(operationId="getIndex")
    @blp.response(200, IndexOut)
    def get(self):
        """Links to the resources and the documentation"""
        return {
            "name": current_app.config["API_TITLE"],
            "version": current_app.config["API_VERSION"],
            "links": {
                "books": "/api/v1/books",
                "authors": "/api/v1/authors",
                "subjects": "/api/v1/subjects",
                "languages": "/api/v1/languages",
                "health": "/api/health",
                "ready": "/api/ready",
                "docs": "/api/docs",
                "openapi": "/api/openapi.json",
            },
        }


@blp.route("/health")
class Health(MethodView):
    @access(PUBLIC)
    @blp.doc(operationId="getHealth")
    @blp.response(200, HealthOut)
    @blp.alt_response(503, schema=ProblemSchema, content_type=PROBLEM_JSON, description="The database is unreachable")
    def get(self):
        """Liveness and database reachability, for load balancers and compose healthchecks"""
        try:
            db.session.execute(text("SELECT 1"))
        except SQLAlchemyError:
            db.session.rollback()
            current_app.logger.warning("health check: database unreachable", exc_info=True)
            return problem_response(
                503, "The database is unreachable.", headers={"Cache-Control": "no-store"},
                database="unreachable",
            )
        return {"status": "ok", "database": "ok"}, 200, {"Cache-Control": "no-store"}


class ReadyOut(Schema):
    status = fields.String(required=True, metadata={"enum": ["ready"]})
    database = fields.String(required=True, metadata={"enum": ["ok"]})
    schema = fields.String(required=True, metadata={"description": "The database's migration revision (the head)"})


@blp.route("/ready")
class Ready(MethodView):
    @access(PUBLIC)
    @blp.doc(operationId="getReadiness")
    @blp.response(200, ReadyOut)
    @blp.alt_response(503, schema=ProblemSchema, content_type=PROBLEM_JSON,
                      description="The database is unreachable, or its schema is not the one this version needs")
    def get(self):
        """Readiness: the database answers and its migrations are at the head this version needs (for load
        balancers and compose; /api/health only says the process is alive)"""
        expected = revisions.head()
        try:
            found = revisions.current(db.session.connection())
        except SQLAlchemyError:
            db.session.rollback()
            current_app.logger.warning("readiness: database unreachable", exc_info=True)
            return problem_response(503, "The database is unreachable.", headers=NO_STORE, database="unreachable")
        finally:
            db.session.rollback()  # end the read transaction (a no-op after the rollback above)
        if found != expected:
            return problem_response(503, f"The database schema is at {found or 'nothing'}, this version needs "
                                         f"{expected}: run `flask --app library db upgrade`.", headers=NO_STORE,
                                    database="ok", schema=found, expected=expected)
        return {"status": "ready", "database": "ok", "schema": found}, 200, NO_STORE


@blp.route("/docs")
class Docs(MethodView):
    @blp.doc(responses={"200": {"description": "The interactive API documentation (Swagger UI)",
                                "content": {"text/html": {"schema": {"type": "string"}}}}})
    @access(PUBLIC)
    @blp.doc(operationId="getDocs")
    def get(self):
        """Interactive API documentation; its assets are served from this server, not a CDN"""
        return render_template("docs.html")


@access(PUBLIC)
def docs_asset(filename):
    """Swagger UI's files from the flask-swagger-ui package, plus our initializer."""
    if filename == "docs-init.js":
        return send_from_directory(STATIC_DIR, filename, max_age=0)
    if filename not in DOC_ASSETS:
        return problem_response(404, "No such documentation asset.")
    return send_from_directory(SWAGGER_DIST, filename, max_age=3600)
