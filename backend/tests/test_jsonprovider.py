"""The JSON provider (library/jsonprovider.py): orjson's bytes mean what Flask's own provider's meant."""

import dataclasses
import decimal
import json
import uuid
from datetime import date, datetime, timezone

from flask.json.provider import DefaultJSONProvider

from library import create_app
from library.jsonprovider import OrjsonProvider


@dataclasses.dataclass
class Point:
    x: int
    label: str


def bodies(value):
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "LIBRARY_RESPONSE_CACHE": 0})
    with app.app_context():
        assert isinstance(app.json, OrjsonProvider)
        ours = app.json.response(value).get_data()
        flasks = DefaultJSONProvider(app).response(value).get_data()
    return ours, flasks


def test_same_json_as_flask_for_what_the_api_sends():
    value = {"items": [{"title": "Café — naïve 📚", "id": 7, "z": None, "a": [1.5, True, False]}],
             "total": 2**62, "per_page": 20, "when": datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc),
             "day": date(2026, 1, 2), "point": Point(1, "p"), "price": decimal.Decimal("1.10"),
             "uuid": uuid.UUID(int=5), "facets": {"subject": [], "author": []}}
    ours, flasks = bodies(value)
    assert json.loads(ours) == json.loads(flasks)
    # Byte for byte what Flask wrote, but for UTF-8 in place of \\u escapes: keys sorted, compact, one line.
    assert ours == (json.dumps(json.loads(flasks), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
                    + "\n").encode()
    assert json.loads(ours)["when"] == "Mon, 30 Nov 2026 12:00:00 GMT"  # dates as Flask writes them


def test_what_orjson_refuses_goes_through_the_standard_library():
    for value in ({"big": 2**70}, {1: "int key"}, {"lone": "\udc80"}):
        ours, flasks = bodies(value)
        assert ours == flasks
