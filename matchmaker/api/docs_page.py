"""Turn the OpenAPI spec into what the server-side docs page shows: operations by tag, their parameters,
body fields and responses. A page without JavaScript keeps the site's CSP (`script-src 'self'`) intact and
needs no vendored UI."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import pgettext

METHODS = ("get", "post", "patch", "put", "delete")


@dataclass
class Field:
    name: str
    type: str
    required: bool
    notes: str


@dataclass
class Operation:
    method: str
    path: str
    summary: str
    description: str
    anchor: str
    parameters: list[Field] = field(default_factory=list)
    body: list[Field] = field(default_factory=list)
    responses: list[tuple[str, str]] = field(default_factory=list)


def _summaries() -> dict[str, str]:
    """The page's words for the spec's English summaries and tags, in the reader's language (the spec
    stays English for tools). A summary missing here shows in English; tests/test_api_docs_i18n.py
    fails until it is added."""
    return {
        "Who am I": _("Who am I"),
        "Sign in: trade email and password for a bearer token":
            _("Sign in: trade email and password for a bearer token"),
        "Revoke the token this call is made with (sign out)": _("Revoke the token this call is made with (sign out)"),
        "The codes the API uses, with labels in three languages":
            _("The codes the API uses, with labels in three languages"),
        "List matches": _("List matches"),
        "Read a match": _("Read a match"),
        "Approve (introduce) or reject a suggestion": _("Approve (introduce) or reject a suggestion"),
        "Answer an introduction": _("Answer an introduction"),
        "List my notifications": _("List my notifications"),
        "Mark all my notifications read": _("Mark all my notifications read"),
        "List research results": _("List research results"),
        "Create a research result (a draft)": _("Create a research result (a draft)"),
        "Read a research result": _("Read a research result"),
        "Change a research result": _("Change a research result"),
        "Archive a research result": _("Archive a research result"),
        "Publish a research result": _("Publish a research result"),
        "List technical needs": _("List technical needs"),
        "Create a technical need (a draft)": _("Create a technical need (a draft)"),
        "Read a technical need": _("Read a technical need"),
        "Change a technical need": _("Change a technical need"),
        "Archive a technical need": _("Archive a technical need"),
        "Publish a technical need": _("Publish a technical need"),
    }


def _tags() -> dict[str, str]:
    return {"Tokens": pgettext("API section", "Tokens"), "Taxonomy": pgettext("API section", "Taxonomy"),
            "Matches": pgettext("API section", "Matches"), "Notifications": _("Notifications"),
            "Research results": _("Research results"), "Technical needs": _("Technical needs")}


def _resolve(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _type(spec: dict, schema: dict) -> str:
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if schema.get("type") == "array":
        return f"array of {_type(spec, schema.get('items', {}))}"
    kind = schema.get("type", "object")
    kind = "/".join(kind) if isinstance(kind, list) else kind
    return f"{kind} ({schema['format']})" if schema.get("format") else kind


def _notes(schema: dict) -> str:
    notes = []
    items = schema.get("items", {})
    if schema.get("enum") or items.get("enum"):
        notes.append("one of: " + ", ".join(map(str, schema.get("enum") or items.get("enum"))))
    for key, label in (("minimum", "min"), ("maximum", "max"), ("minLength", "min length"),
                       ("maxLength", "max length"), ("maxItems", "max items"), ("default", "default")):
        if key in schema:
            notes.append(f"{label} {schema[key]}")
    if schema.get("nullable"):
        notes.append("may be null")
    if schema.get("description"):
        notes.append(schema["description"])
    return "; ".join(notes)


def _body_fields(spec: dict, operation: dict) -> list[Field]:
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if not content:
        return []
    schema = _resolve(spec, content["schema"])
    required = set(schema.get("required", []))
    return [Field(name, _type(spec, prop), name in required, _notes(prop))
            for name, prop in schema.get("properties", {}).items()]


def _operation(spec: dict, path: str, method: str, operation: dict, summaries: dict[str, str]) -> Operation:
    parameters = [Field(p["name"] + (" (path)" if p["in"] == "path" else ""),
                        _type(spec, p.get("schema", {})), p.get("required", False),
                        _notes({**p.get("schema", {}), **p}))
                  for p in operation.get("parameters", [])]
    responses = [(code, response.get("description", "")) for code, response in
                 sorted(operation.get("responses", {}).items())]
    anchor = (method + path).replace("/", "-").replace("{", "").replace("}", "").strip("-")
    summary = operation.get("summary", "")
    return Operation(method.upper(), path, summaries.get(summary, summary), operation.get("description", ""),
                     anchor, parameters, _body_fields(spec, operation), responses)


def describe(spec: dict) -> dict:
    """{'title', 'version', 'description', 'tags': [(tag, [Operation])]} from an OpenAPI 3 spec."""
    tags: dict[str, list[Operation]] = {}
    summaries, tag_names = _summaries(), _tags()
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                tag = (item[method].get("tags") or ["Other"])[0]
                tags.setdefault(tag_names.get(tag, tag), []).append(
                    _operation(spec, path, method, item[method], summaries))
    return {"title": spec["info"]["title"], "version": spec["info"]["version"],
            "description": spec["info"].get("description", "").replace("**", "").replace("`", ""),
            "tags": list(tags.items())}
