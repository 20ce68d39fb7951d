"""The small family of domain errors that services raise and views turn into messages."""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the domain refused the operation; `message` is shown to the user as is."""

    status = 400

    def __init__(self, message: str, field: str | None = None, extra: dict | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.extra = extra or {}  # more for the API's error body, e.g. the postings a conflict is with


class InvalidInput(DomainError):
    status = 422


class NotFound(DomainError):
    status = 404


class Forbidden(DomainError):
    status = 403


class Conflict(DomainError):
    status = 409
