"""Serves the single-page app from LIBRARY_FRONTEND_DIR when no nginx stands in front (make run without nginx)."""

from pathlib import Path

from flask import Blueprint, current_app, send_from_directory

from .errors import problem_response

blp = Blueprint("frontend", __name__)

# The same policy nginx sets (nginx/snippets/security-headers.conf), for the fallback path.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; "
    "font-src 'self'; connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'; object-src 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}


@blp.route("/covers/<path:filename>")
def cover_file(filename):
    """Book covers (what nginx serves from the data volume), for the fallback path."""
    root = Path(current_app.config["LIBRARY_DATA_DIR"]) / "covers"
    if not (root / filename).is_file():
        return problem_response(404, "No such cover.")
    response = send_from_directory(root, filename, max_age=31536000)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


@blp.route("/", defaults={"filename": "index.html"})
@blp.route("/<path:filename>")
def static_file(filename):
    root = Path(current_app.config["LIBRARY_FRONTEND_DIR"])
    if not (root / filename).is_file():
        return problem_response(404, "No such file.")
    response = send_from_directory(root, filename, max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response


@blp.after_request
def security_headers(response):
    response.headers.update(SECURITY_HEADERS)
    return response
