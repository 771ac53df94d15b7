"""/api/v1/settings: the library's settings (admins), and the public part of them (anyone)."""

from flask.views import MethodView

from ..authz import ADMIN, PUBLIC, access
from ..schemas.settings import PublicSettingsOut, SettingsOut, SettingsPatch
from ..services import settings
from .base import Blueprint

blp = Blueprint("settings", __name__, url_prefix="/api/v1", description="The library's settings")


@blp.route("/settings")
class Settings(MethodView):
    @access(ADMIN)
    @blp.doc(operationId="getSettings")
    @blp.response(200, SettingsOut)
    def get(self):
        """Every setting and its value (unset ones show their default, from the environment)"""
        return settings.current()

    @access(ADMIN)
    @blp.doc(operationId="updateSettings")
    @blp.arguments(SettingsPatch)
    @blp.response(200, SettingsOut)
    def patch(self, data):
        """Change settings; each change is audited"""
        return settings.update(data)


@blp.route("/settings/public")
class PublicSettings(MethodView):
    @access(PUBLIC)
    @blp.doc(operationId="getPublicSettings")
    @blp.response(200, PublicSettingsOut)
    def get(self):
        """What any visitor may know: the library's name"""
        return settings.public()
