"""API blueprints, one module per resource."""

from werkzeug.routing import IntegerConverter

from ..schemas.common import ID_MAX
from . import auth, authors, books, circulation, history, meta, settings, stats, users


class IdConverter(IntegerConverter):
    """A positive id within the database's integer range; anything else is a routing 404, never a 500."""

    def __init__(self, url_map):
        super().__init__(url_map, min=1, max=ID_MAX)


def register(app, api):
    app.url_map.converters["id"] = IdConverter
    api.register_converter(IdConverter, lambda _: {"type": "integer", "minimum": 1, "maximum": ID_MAX})
    for blueprint in (meta.blp, auth.blp, books.blp, authors.blp, circulation.blp, history.blp, users.blp, settings.blp,
                      stats.blp):
        api.register_blueprint(blueprint)
    app.add_url_rule("/api/docs/assets/<path:filename>", "docs_asset", meta.docs_asset)
