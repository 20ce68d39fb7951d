"""Submit a page's forms as a browser does: read the rendered `<form>`, fill it, press a button.

    page = open_page(client, "/review/")
    form = page.form(action="/review/bulk")
    form.check("match_id", str(match_id))
    response = form.submit("Introduce selected")

The request carries exactly what a browser would send: every successful control in document order (hidden
inputs and the CSRF token included, unchecked boxes left out, a select's chosen option), and only the
pressed button's own `name=value`. Filling a field the form does not have, choosing an option a select does
not offer, or pressing a button that is not there fails the test, because no browser could do it. Text
longer than a field's `maxlength` is cut as a browser cuts typed or pasted text.

Hand-built POST bodies remain for malformed-input tests only.

Every submission is recorded as (method, Flask endpoint) for the `recording()` blocks open at the time
(the `submitted_forms` fixture is one): tests/test_every_form.py proves with it that each form of the site
is sent through this helper by a test.
"""

from __future__ import annotations

import io
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.test import encode_multipart

_TEXT_INPUTS = {"text", "email", "password", "search", "url", "tel", "number", "date", "datetime-local",
                "month", "week", "time", "color", "range", "hidden", ""}
_BUTTON_TYPES = {"submit", "image"}


@dataclass
class Control:
    """One form control as rendered: its tag, attributes and (for selects and textareas) contents."""

    tag: str
    attrs: dict[str, str]
    options: list[tuple[str, str, bool]] = field(default_factory=list)  # (value, text, selected)
    text: str = ""  # textarea contents, or a button's label

    @property
    def name(self) -> str | None:
        return self.attrs.get("name")

    @property
    def kind(self) -> str:
        if self.tag == "input":
            return self.attrs.get("type", "text").lower()
        if self.tag == "button":
            return self.attrs.get("type", "submit").lower()
        return self.tag

    @property
    def disabled(self) -> bool:
        return "disabled" in self.attrs

    @property
    def is_button(self) -> bool:
        return (self.tag == "button" and self.kind == "submit") or (self.tag == "input" and self.kind in _BUTTON_TYPES)

    @property
    def label(self) -> str:
        return " ".join((self.text if self.tag == "button" else self.attrs.get("value", "")).split())


@dataclass
class Form:
    """A parsed `<form>`: fill it with `set`/`check`/`uncheck`/`choose`, then `submit`."""

    client: object
    page_url: str
    attrs: dict[str, str]
    controls: list[Control] = field(default_factory=list)
    values: dict[int, object] = field(default_factory=dict)  # control index → value set by the test
    checked: dict[int, bool] = field(default_factory=dict)

    @property
    def action(self) -> str:
        return urljoin(self.page_url, self.attrs.get("action") or self.page_url)

    @property
    def method(self) -> str:
        return (self.attrs.get("method") or "get").upper()

    def names(self) -> list[str]:
        return [c.name for c in self.controls if c.name and not c.is_button]

    def _named(self, name: str) -> list[tuple[int, Control]]:
        found = [(i, c) for i, c in enumerate(self.controls) if c.name == name and not c.is_button]
        if not found:
            raise AssertionError(f"the form {self.action} has no field {name!r}; it has {self.names()}")
        return found

    def set(self, name: str, value) -> Form:
        """Type into a text input or textarea, choose a select's option by value, or attach a file given as
        `(contents, filename)`, the contents bytes or a binary stream."""
        index, control = self._named(name)[0]
        if control.kind in ("checkbox", "radio"):
            raise AssertionError(f"{name!r} is a {control.kind}: use check() or choose()")
        if control.tag == "select":
            offered = [value for value, _, _ in control.options]
            if str(value) not in offered:
                raise AssertionError(f"the select {name!r} offers no {value!r}; it offers {offered}")
        if control.kind == "file":
            self.values[index] = value
            return self
        text = str(value)
        limit = control.attrs.get("maxlength")
        self.values[index] = text[: int(limit)] if limit and limit.isdigit() else text
        return self

    def fill(self, **values) -> Form:
        for name, value in values.items():
            self.set(name, value)
        return self

    def _box(self, name: str, value: str | None) -> int:
        boxes = [(i, c) for i, c in self._named(name) if c.kind in ("checkbox", "radio")]
        for index, control in boxes:
            if value is None or control.attrs.get("value", "on") == str(value):
                return index
        offered = [c.attrs.get("value", "on") for _, c in boxes]
        raise AssertionError(f"no box {name!r} with value {value!r}; the boxes have {offered}")

    def check(self, name: str, value: str | None = None) -> Form:
        index = self._box(name, value)
        if self.controls[index].kind == "radio":
            for other, _control in self._named(name):
                self.checked[other] = False
        self.checked[index] = True
        return self

    choose = check

    def uncheck(self, name: str, value: str | None = None) -> Form:
        self.checked[self._box(name, value)] = False
        return self

    def is_checked(self, index: int) -> bool:
        return self.checked.get(index, "checked" in self.controls[index].attrs)

    def data(self, button: Control | None = None) -> MultiDict:
        """The form data set a browser would build, in document order."""
        pairs: list[tuple[str, object]] = []
        for index, control in enumerate(self.controls):
            if not control.name or control.disabled:
                continue
            if control.is_button:
                if control is button:
                    pairs.append((control.name, control.attrs.get("value", "")))
                continue
            pairs.extend((control.name, value) for value in self._values_of(index, control))
        return MultiDict(pairs)

    def _values_of(self, index: int, control: Control) -> list:
        if control.kind in ("checkbox", "radio"):
            return [control.attrs.get("value", "on")] if self.is_checked(index) else []
        if control.kind in ("button", "reset"):
            return []
        if control.kind == "file":
            upload = self.values.get(index)
            return [upload] if upload is not None else [(io.BytesIO(b""), "")]
        if index in self.values:
            return [self.values[index]]
        if control.tag == "textarea":
            return [control.text.removeprefix("\n")]
        if control.tag == "select":
            chosen = [value for value, _, selected in control.options if selected]
            if "multiple" in control.attrs:
                return chosen
            return chosen[:1] or [value for value, _, _ in control.options[:1]]
        return [control.attrs.get("value", "")] if control.kind in _TEXT_INPUTS else []

    def button(self, label: str | None = None) -> Control | None:
        buttons = [c for c in self.controls if c.is_button and not c.disabled]
        if label is None:
            return buttons[0] if buttons else None
        for control in buttons:
            if label in (control.label, control.attrs.get("value"), control.name):
                return control
        raise AssertionError(f"the form {self.action} has no button {label!r}; it has {[b.label for b in buttons]}")

    def submit(self, button: str | None = None, **kwargs):
        """Press `button` (its label, value or name; default the first submit button) and send the form."""
        pressed = self.button(button)
        action, method = self.action, self.method
        if pressed is not None:
            target = pressed.attrs.get("formaction") or self.attrs.get("action") or self.page_url
            action = urljoin(self.page_url, target)
            method = (pressed.attrs.get("formmethod") or method).upper()
        data = self.data(pressed)
        path = _local(action)
        # The token sent is the one the page rendered: a CSRFClient must not add its own (a plain
        # FlaskClient, like a browser, never does).
        rendered_token_only = {"no_csrf": True} if hasattr(self.client, "csrf_token") else {}
        _record(method, endpoint_of(self.client.application, path, method))
        if method == "GET":
            return self.client.get(path, query_string=data, **kwargs)
        if "multipart" in (self.attrs.get("enctype") or ""):
            # Encoded in memory: the test client would spool a large body to a temporary file it never
            # closes (an unraisable ResourceWarning under filterwarnings=error).
            parts = MultiDict([(name, _file(value)) for name, value in data.items(multi=True)])
            boundary, body = encode_multipart(parts)
            return self.client.post(path, data=body, content_type=f"multipart/form-data; boundary={boundary}",
                                    **rendered_token_only, **kwargs)
        return self.client.post(path, data=data, content_type="application/x-www-form-urlencoded",
                                **rendered_token_only, **kwargs)


_recorders: list[list[tuple[str, str]]] = []


@contextmanager
def recording():
    """Collects (method, endpoint) of every form submitted through the helper inside the block."""
    submitted: list[tuple[str, str]] = []
    _recorders.append(submitted)
    try:
        yield submitted
    finally:
        _recorders.remove(submitted)


def _record(method: str, endpoint: str) -> None:
    for submitted in _recorders:
        submitted.append((method, endpoint))


def endpoint_of(app, url: str, method: str) -> str:
    """The Flask endpoint a request would reach, so `/results/7/edit` and `/results/8/edit` are one form;
    a URL no route answers for that method gives its status and path instead (`405 /results/7`)."""
    try:
        endpoint, _ = app.url_map.bind("localhost").match(urlsplit(url).path, method=method)
    except HTTPException as error:
        return f"{error.code} {urlsplit(url).path}"
    return endpoint


def _file(value):
    """A file input's `(contents, filename)` as the part a browser sends; other values unchanged."""
    if not isinstance(value, tuple):
        return value
    contents, filename = value
    stream = io.BytesIO(contents) if isinstance(contents, bytes) else contents
    return FileStorage(stream, filename=filename, content_type="application/octet-stream")


def _local(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


class _FormParser(HTMLParser):
    """Collects every `<form>` and its controls, including those outside it that name it with `form=`."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self.controls: list[tuple[str | None, int | None, Control]] = []  # (form= id, enclosing form, control)
        self._open_form: int | None = None
        self._select: Control | None = None
        self._option: list | None = None
        self._text_of: Control | None = None

    def handle_starttag(self, tag, attrs):
        attributes = {key: value if value is not None else "" for key, value in attrs}
        if tag == "form":
            self.forms.append(attributes)
            self._open_form = len(self.forms) - 1
        elif tag in ("input", "button", "select", "textarea"):
            control = Control(tag, attributes)
            self.controls.append((attributes.get("form"), self._open_form, control))
            if tag == "select":
                self._select = control
            elif tag in ("textarea", "button"):
                self._text_of = control
        elif tag == "option" and self._select is not None:
            self._option = [attributes.get("value"), "", "selected" in attributes]

    def handle_endtag(self, tag):
        if tag == "form":
            self._open_form = None
        elif tag == "select":
            self._select = None
        elif tag in ("textarea", "button"):
            self._text_of = None
        elif tag == "option":
            self._close_option()

    def _close_option(self):
        if self._option is not None and self._select is not None:
            value, text, selected = self._option
            self._select.options.append((text.strip() if value is None else value, text.strip(), selected))
        self._option = None

    def handle_data(self, data):
        if self._option is not None:
            self._option[1] += data
        elif self._text_of is not None:
            self._text_of.text += data


@dataclass
class Page:
    """A fetched page and the forms on it."""

    client: object
    url: str
    response: object
    forms: list[Form]

    @property
    def html(self) -> str:
        return self.response.get_data(as_text=True)

    def form(self, action: str | None = None, *, id: str | None = None, button: str | None = None) -> Form:  # noqa: A002
        """The one form whose action path is `action`, whose id is `id`, or which has a button labelled `button`."""
        found = [f for f in self.forms if _matches(f, action, id, button)]
        if len(found) != 1:
            described = [(f.attrs.get("id"), _local(f.action), [b.label for b in f.controls if b.is_button])
                         for f in self.forms]
            raise AssertionError(f"{len(found)} forms on {self.url} fit {action=} {id=} {button=}: {described}")
        return found[0]


def _matches(form: Form, action, id, button) -> bool:  # noqa: A002
    if action is not None and urlsplit(form.action).path != action:
        return False
    if id is not None and form.attrs.get("id") != id:
        return False
    if button is not None:
        try:
            form.button(button)
        except AssertionError:
            return False
    return True


def parse_forms(client, url: str, html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    parser.close()
    forms = [Form(client, url, attrs) for attrs in parser.forms]
    by_id = {attrs.get("id"): index for index, attrs in enumerate(parser.forms) if attrs.get("id")}
    for owner_id, enclosing, control in parser.controls:
        owner = by_id.get(owner_id) if owner_id else enclosing
        if owner is not None:
            forms[owner].controls.append(control)
    return forms


def open_page(client, url: str, *, expect: int = 200, **kwargs) -> Page:
    """GET `url` (following redirects) and parse its forms; fails unless it answers `expect`."""
    response = client.get(url, follow_redirects=True, **kwargs)
    assert response.status_code == expect, f"GET {url} answered {response.status_code}"
    final = response.request.path + (f"?{response.request.query_string.decode()}"
                                     if response.request.query_string else "")
    return Page(client, "http://localhost" + final, response, parse_forms(client, "http://localhost" + final,
                                                                          response.get_data(as_text=True)))


def submit(client, url: str, fields: dict | None = None, *, button: str | None = None,
           action: str | None = None, form_id: str | None = None, **kwargs):
    """Open `url`, fill the form there (the only one, or the one picked by `action`/`form_id`/`button`) and
    press `button`. Values that are lists tick those checkboxes; booleans tick or clear a single box."""
    page = open_page(client, url)
    form = page.form(action, id=form_id, button=button) if (action or form_id or button) else _only_post(page)
    for name, value in (fields or {}).items():
        _fill(form, name, value)
    return form.submit(button, **kwargs)


def _only_post(page: Page) -> Form:
    posts = [f for f in page.forms if f.method == "POST" and f.controls and
             not (f.attrs.get("action") or "").endswith(("/logout", "/language"))]
    if len(posts) != 1:
        raise AssertionError(f"{len(posts)} forms to submit on {page.url}: name one with action=, form_id= or button=")
    return posts[0]


def _fill(form: Form, name: str, value) -> None:
    kinds = {c.kind for _, c in form._named(name)}
    if kinds <= {"checkbox", "radio"}:
        if isinstance(value, bool):
            (form.check if value else form.uncheck)(name)
            return
        wanted = value if isinstance(value, list | tuple | set) else [value]
        for _, control in form._named(name):
            box_value = control.attrs.get("value", "on")
            (form.check if box_value in {str(v) for v in wanted} else form.uncheck)(name, box_value)
        return
    form.set(name, value)
