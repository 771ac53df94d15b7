"""Vendored frontend code is exactly the pinned release (frontend/vendor/README.md) and is what the app loads."""

import hashlib
import re

from .conftest import REPO_DIR

VENDOR = REPO_DIR / "frontend" / "vendor"


def test_vendored_files_match_their_pinned_hashes():
    table = re.findall(r"\| `([^`]+)` \|[^\n]*\| `([0-9a-f]{64})` \|", (VENDOR / "README.md").read_text())
    assert table, "the vendor README lists each file with its sha256"
    for name, digest in table:
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest, name
        assert (VENDOR / name).with_name("LICENSE").is_file(), name


def test_the_scanner_loads_the_vendored_decoder_and_nothing_from_elsewhere():
    scanner = (REPO_DIR / "frontend" / "js" / "scanner.js").read_text()
    (path,) = re.findall(r'const ZXING = "([^"]+)"', scanner)
    assert (REPO_DIR / "frontend" / "js" / path).resolve().is_file()
    assert "http" not in path
    decoder = (VENDOR / "zxing-library-0.23.0" / "zxing.min.js").read_text()
    assert "eval(" not in decoder and "new Function" not in decoder and "WebAssembly" not in decoder
