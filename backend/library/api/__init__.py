"""API blueprints, one module per resource."""

from werkzeug.routing import IntegerConverter

from ..schemas.common import ID_MAX
from . import (
    archive, auth, authors, books, circulation, covers, desk, exports, history, imports, jobs, labels, languages, lists,
    lookup, memberships, merge, meta, metrics, notices, passwords, settings, stats, users,
)


class IdConverter(IntegerConverter):
    """A positive id within the database's integer range; anything else is a routing 404, never a 500."""

    def __init__(self, url_map):
        super().__init__(url_map, min=1, max=ID_MAX)


def register(app, api):
    app.url_map.converters["id"] = IdConverter
    api.register_converter(IdConverter, lambda _: {"type": "integer", "minimum": 1, "maximum": ID_MAX})
    notices.register_converter(app, api)
    for blueprint in (meta.blp, metrics.blp, auth.blp, books.blp, archive.blp, authors.blp, languages.blp, circulation.blp,
                      desk.blp, lists.blp, labels.blp, users.blp, settings.blp, jobs.blp, lookup.blp, covers.blp, merge.blp,
                      imports.blp, exports.blp, passwords.blp, memberships.blp, notices.blp,
                      history.blp, stats.blp):
        api.register_blueprint(blueprint)
    app.add_url_rule("/api/docs/assets/<path:filename>", "docs_asset", meta.docs_asset)
