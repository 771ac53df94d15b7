"""Settings schemas, built from the registry in services/settings.py."""

import marshmallow as ma

from ..services.settings import REGISTRY
from .common import StrictSchema


def _fields(keys, **options):
    made = {}
    for key in keys:
        field = REGISTRY[key].field()
        field.required = options.get("required", field.required)
        field.metadata.setdefault("description", REGISTRY[key].description)
        made[key] = field
    return made


SettingsOut = ma.Schema.from_dict(_fields(REGISTRY), name="SettingsOut")
PublicSettingsOut = ma.Schema.from_dict(_fields([k for k, s in REGISTRY.items() if s.public]), name="PublicSettingsOut")
SettingsPatch = StrictSchema.from_dict(_fields(REGISTRY, required=False), name="SettingsPatch")
