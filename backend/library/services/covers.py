"""Book covers: checked, re-encoded and stored in LIBRARY_DATA_DIR/covers, served by nginx from there.

An image (an upload, or the provider's cover on an ISBN lookup) is accepted when it is a JPEG, PNG or WebP
of at most MAX_BYTES and MAX_PIXELS; anything else, a decompression bomb included, is refused before its
pixels are decoded. It is re-encoded with Pillow (so nothing of the original file but its pixels survives:
no EXIF, no ICC profile, no trailing data), turned upright by its EXIF orientation first, and written in two
sizes as WebP: "list" for result lists and "detail" for the book page.

Files are named by the hash of the original bytes (COVER_ID), so a name never changes content: nginx serves
them with a year of caching, the same image uploaded twice is stored once, and writing never deletes.
Files no book refers to (a replaced cover, an abandoned upload or lookup) are removed by
`flask --app library prune-covers` once they are a day old.
"""

import hashlib
import io
import os
import re
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 5 * 1024 * 1024  # an upload or a provider's cover; nginx and Flask refuse larger bodies first
MAX_PIXELS = 40_000_000  # 8000 x 5000: more is a bomb or a scan far beyond any cover's need
FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
CONTENT_TYPES = tuple(FORMATS.values())
SIZES = {"list": (120, 180), "detail": (480, 720)}  # boxes the image is fitted into (2x the CSS size)
QUALITY = 82
COVER_ID = re.compile(r"^[0-9a-f]{32}$")
URL_PREFIX = "/covers/"
PRUNE_AGE_SECONDS = 24 * 3600


class InvalidImage(ValueError):
    """The bytes are not an acceptable cover; the message says why, for a person."""


@dataclass(frozen=True)
class Cover:
    id: str
    width: int  # of the detail image
    height: int


def urls(cover_id: str | None) -> dict | None:
    """{"id", "list", "detail"}: the cover's URLs (root-relative, served by nginx), or None."""
    if not cover_id:
        return None
    base = f"{URL_PREFIX}{cover_id[:2]}/{cover_id}"
    return {"id": cover_id, "list": f"{base}-list.webp", "detail": f"{base}-detail.webp"}


class CoverStore:
    """The covers folder: LIBRARY_DATA_DIR/covers/<first two hex digits>/<id>-<size>.webp."""

    def __init__(self, root):
        self.root = Path(root)

    def path(self, cover_id: str, size: str) -> Path:
        return self.root / cover_id[:2] / f"{cover_id}-{size}.webp"

    def exists(self, cover_id: str) -> bool:
        return bool(COVER_ID.match(cover_id or "")) and all(self.path(cover_id, size).is_file() for size in SIZES)

    def save(self, data: bytes) -> Cover:
        """Check, re-encode and store an image; raises InvalidImage with the reason."""
        if len(data) > MAX_BYTES:
            raise InvalidImage(f"The image is larger than {MAX_BYTES // (1024 * 1024)} MiB.")
        cover_id = hashlib.sha256(data).hexdigest()[:32]
        image = _decode(data)
        outputs = {}
        for size, box in SIZES.items():
            fitted = image.copy()
            fitted.thumbnail(box, Image.Resampling.LANCZOS)
            buffer = io.BytesIO()
            fitted.save(buffer, "WEBP", quality=QUALITY, method=4)
            outputs[size] = (buffer.getvalue(), fitted.size)
        for size, (encoded, _dimensions) in outputs.items():
            self._write(self.path(cover_id, size), encoded)
        width, height = outputs["detail"][1]
        return Cover(cover_id, width, height)

    def _write(self, path: Path, data: bytes) -> None:
        """Write atomically (a reader never sees half a file), readable by nginx's workers."""
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(data)
            os.chmod(temporary, 0o644)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def prune(self, referenced: set[str], older_than: float = PRUNE_AGE_SECONDS, now: float | None = None) -> int:
        """Delete the files of covers no book refers to, once older than older_than seconds; returns how many."""
        now = time.time() if now is None else now
        removed = 0
        for path in self.root.glob("??/*.webp"):
            cover_id = path.name.split("-", 1)[0]
            if cover_id in referenced or now - path.stat().st_mtime < older_than:
                continue
            path.unlink(missing_ok=True)
            removed += 1
        return removed


def _decode(data: bytes) -> Image.Image:
    """The image's pixels, upright, as RGB or RGBA; only after the format and the pixel count are checked."""
    with warnings.catch_warnings():
        # Pillow warns (and past twice its limit raises) on huge images at open(); ours is lower and decides.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=list(FORMATS))
        except Image.DecompressionBombError:
            raise InvalidImage(_too_many_pixels()) from None
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
            raise InvalidImage("The file is not a JPEG, PNG or WebP image.") from None
        width, height = image.size
        if width < 1 or height < 1 or width * height > MAX_PIXELS:
            raise InvalidImage(_too_many_pixels())
        try:
            image.seek(0)  # an animation's first frame
            image.load()
            image = ImageOps.exif_transpose(image)
        except Image.DecompressionBombError:
            raise InvalidImage(_too_many_pixels()) from None
        except (OSError, ValueError, SyntaxError, EOFError):
            raise InvalidImage("The image is damaged or incomplete.") from None
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    return image.convert("RGBA" if has_alpha else "RGB")


def _too_many_pixels() -> str:
    return f"The image has more than {MAX_PIXELS // 1_000_000} million pixels."


def current_store() -> CoverStore:
    """The app's cover store (LIBRARY_DATA_DIR/covers)."""
    from flask import current_app

    return CoverStore(Path(current_app.config["LIBRARY_DATA_DIR"]) / "covers")
