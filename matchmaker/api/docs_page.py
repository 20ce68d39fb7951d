"""Turn the OpenAPI spec into what the server-side docs page shows: operations by tag, their parameters,
body fields and responses. A page without JavaScript keeps the site's CSP (`script-src 'self'`) intact and
needs no vendored UI."""

from __future__ import annotations

from dataclasses import dataclass, field

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


def _operation(spec: dict, path: str, method: str, operation: dict) -> Operation:
    parameters = [Field(p["name"] + (" (path)" if p["in"] == "path" else ""),
                        _type(spec, p.get("schema", {})), p.get("required", False),
                        _notes({**p.get("schema", {}), **p}))
                  for p in operation.get("parameters", [])]
    responses = [(code, response.get("description", "")) for code, response in
                 sorted(operation.get("responses", {}).items())]
    anchor = (method + path).replace("/", "-").replace("{", "").replace("}", "").strip("-")
    return Operation(method.upper(), path, operation.get("summary", ""), operation.get("description", ""),
                     anchor, parameters, _body_fields(spec, operation), responses)


def describe(spec: dict) -> dict:
    """{'title', 'version', 'description', 'tags': [(tag, [Operation])]} from an OpenAPI 3 spec."""
    tags: dict[str, list[Operation]] = {}
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                tag = (item[method].get("tags") or ["Other"])[0]
                tags.setdefault(tag, []).append(_operation(spec, path, method, item[method]))
    return {"title": spec["info"]["title"], "version": spec["info"]["version"],
            "description": spec["info"].get("description", "").replace("**", "").replace("`", ""),
            "tags": list(tags.items())}
