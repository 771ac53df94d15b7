"""The Blueprint every API module uses: a JSON body is required where a view takes one."""

from flask_smorest import Blueprint as SmorestBlueprint
from webargs.flaskparser import FlaskParser

from ..errors import Problem


class _Parser(FlaskParser):
    def load_json(self, req, schema):
        if not req.get_data(cache=True):
            raise Problem(422, "A JSON object is required as the request body.", {"_body": ["Missing request body."]})
        return super().load_json(req, schema)


class Blueprint(SmorestBlueprint):
    ARGUMENTS_PARSER = _Parser()
