"""Every message the API can answer with, for the catalogs' completeness test (tests/test_i18n.py).

Two sources:
- the app's own: each sentence written in the modules that raise API errors (a string or f-string that starts
  with a capital letter or a value, has a space and ends with ".", "?" or ")"), minus docstrings, log lines and
  OpenAPI descriptions; an f-string's msgid is its source ("No book with id {book_id}."); messages that are not
  sentences are marked with i18n.N_() and found by that;
- the libraries': marshmallow's fields, validators and schema, webargs', werkzeug's error descriptions and the
  HTTP status phrases used as titles.

`python -m tests.i18n_messages fr` prints the msgids the French catalog lacks, as .po entries to fill in.
"""

import ast
import http
import inspect
import re
import sys
from pathlib import Path

LIBRARY = Path(__file__).resolve().parents[1] / "library"
# Where API answers are written. Not scanned: models (SQL), the CLI and server start-up, backups (CLI), the
# demo data, the OpenAPI document's text, metrics' help, the ISBN lookup's provider labels. Of the import records'
# problems and jobs' errors (stored in English, translated when an import is read), only those marked with N_().
# The bulk writer (services/bulkload.py) holds SQL only.
SCANNED = ("api", "services", "schemas", "authz.py", "errors.py", "frontend.py", "__init__.py")
NOT_SCANNED = {"services/backup.py", "services/demo.py", "services/jobs.py", "services/records.py",
               "services/marc.py", "services/lookup.py", "services/importer.py", "services/exporter.py",
               "services/worker.py", "services/tasks.py", "services/bulkload.py"}
DOC_KEYWORDS = {"description", "metadata", "help", "summary"}
QUIET_CALLS = {"RuntimeError", "doc", "Blueprint", "record", "debug", "info", "warning", "error", "exception",
               "alt_response", "response", "route", "arguments", "Spec", "_export"}
ERROR_404 = {"get_or_404", "first_or_404", "one_or_404", "abort"}
SENTENCE = re.compile(r"^[A-Z{\"“«].* .*[.?)]$", re.DOTALL)
SQL = re.compile(r"^(SELECT|WITH|EXPLAIN|INSERT|UPDATE|DELETE|WHERE|AND|OR|ORDER BY) |.*::regconfig")  # SQL, not messages


def source_text(node):
    """A string constant's text, or an f-string's source with its {expressions} (the msgid)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        out = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                out.append(value.value)
            else:
                conversion = {115: "!s", 114: "!r", 97: "!a"}.get(value.conversion, "")
                spec = ":" + "".join(source_text(v) or "" for v in value.format_spec.values) if value.format_spec else ""
                out.append("{" + ast.unparse(value.value) + conversion + spec + "}")
        return "".join(out)
    return None


def _call_name(node):
    return node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")


def app_messages() -> dict[str, str]:
    """{msgid: "module:line"} of the app's own messages."""
    found = {}
    for path in sorted(LIBRARY.rglob("*.py")):
        relative = path.relative_to(LIBRARY).as_posix()
        if not relative.startswith(SCANNED):
            continue
        only_marked = relative in NOT_SCANNED  # what these write is shown only where marked with N_()
        tree = ast.parse(path.read_text())
        skip, marked = set(), set()
        for node in ast.walk(tree):
            body = getattr(node, "body", None)
            if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                skip.add(id(body[0].value))  # a docstring
            if isinstance(node, ast.Call):
                name = _call_name(node)
                if name == "N_":
                    marked.update(id(arg) for arg in node.args)
                elif name in QUIET_CALLS or (isinstance(node.func, ast.Attribute)
                                             and ast.unparse(node.func.value) in ("log", "logging", "click")):
                    skip.update(id(n) for n in ast.walk(node))
                for keyword in node.keywords:
                    if keyword.arg in DOC_KEYWORDS and not (name in ERROR_404 and keyword.arg == "description"):
                        skip.update(id(n) for n in ast.walk(keyword.value))
            if isinstance(node, ast.Dict):  # OpenAPI text in dicts: {"description": ...}
                for key, value in zip(node.keys, node.values):
                    if isinstance(key, ast.Constant) and key.value in DOC_KEYWORDS:
                        skip.update(id(n) for n in ast.walk(value))
            if isinstance(node, ast.JoinedStr):
                skip.update(id(n) for n in ast.walk(node) if n is not node)
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names = {getattr(target, "id", "") for target in targets}
                templates = relative == "services/notice_templates.py" and isinstance(node.value, ast.Dict)
                if templates or any(name.startswith("DESCRIPTION") for name in names):
                    skip.update(id(n) for n in ast.walk(node.value))  # each template language has its own
        for node in ast.walk(tree):
            text = source_text(node)
            if text is None or id(node) in skip and id(node) not in marked:
                continue
            if id(node) in marked or not only_marked and SENTENCE.match(text.strip()) and not SQL.match(text.strip()):
                found.setdefault(text, f"{relative}:{node.lineno}")
    return found


def library_messages() -> dict[str, str]:
    """{msgid: origin} of marshmallow's, webargs' and werkzeug's messages and the HTTP titles of errors."""
    import marshmallow.fields as mf
    import marshmallow.schema as ms
    import marshmallow.validate as mv
    import werkzeug.exceptions as wx
    from webargs.core import Parser

    found = {}
    for name, cls in inspect.getmembers(mf, inspect.isclass):
        for klass in cls.__mro__:
            for key, message in getattr(klass, "default_error_messages", {}).items():
                found.setdefault(message, f"marshmallow.fields.{name}.{key}")
    for name, cls in inspect.getmembers(mv, inspect.isclass):
        if name == "Range":
            continue
        for attr, message in vars(cls).items():
            if isinstance(message, str) and "message" in attr:
                found.setdefault(message, f"marshmallow.validate.{name}.{attr}")
    low, high = ((mv.Range.message_gte, mv.Range.message_gt), (mv.Range.message_lte, mv.Range.message_lt))
    for min_op in low:
        found.setdefault(mv.Range.message_min.format(min_op=min_op), "marshmallow.validate.Range.message_min")
        for max_op in high:
            found.setdefault(mv.Range.message_all.format(min_op=min_op, max_op=max_op),
                             "marshmallow.validate.Range.message_all")
    for max_op in high:
        found.setdefault(mv.Range.message_max.format(max_op=max_op), "marshmallow.validate.Range.message_max")
    for key, message in ms.Schema._default_error_messages.items():
        found.setdefault(message, f"marshmallow.Schema.{key}")
    found.setdefault(Parser.DEFAULT_VALIDATION_MESSAGE, "webargs")
    found.setdefault("Invalid JSON body.", "webargs.flaskparser")
    for name, cls in inspect.getmembers(wx, inspect.isclass):
        if issubclass(cls, wx.HTTPException) and cls.code and isinstance(cls.description, str) and cls.code != 418:
            found.setdefault(cls.description, f"werkzeug.{name}")
    for status in http.HTTPStatus:
        if status >= 400:
            found.setdefault(status.phrase, f"HTTP {status.value}")
    return found


def label_messages() -> dict[str, str]:
    """{context EOT label: origin} of the codes' labels said inside sentences (i18n.LABELS, msgctxt = their kind)."""
    from library import i18n

    return {i18n.context_key(kind, text): f"i18n.LABELS[{kind!r}]"
            for kind, labels in i18n.LABELS.items() for text in labels.values()}


def every_message() -> dict[str, str]:
    return {**library_messages(), **app_messages(), **label_messages()}


if __name__ == "__main__":
    sys.path.insert(0, str(LIBRARY.parent))
    from library import i18n

    catalog = i18n.catalog(sys.argv[1])
    for msgid, origin in every_message().items():
        if catalog is None or msgid not in catalog.exact:
            context, _, text = msgid.rpartition("\x04")
            escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
            print(f'#: {origin}\n' + (f'msgctxt "{context}"\n' if context else "") + f'msgid "{escaped}"\nmsgstr ""\n')
