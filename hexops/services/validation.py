"""The rules of the values people type into forms, shared by the pages and the services.

Each rule takes what was typed (text from a browser, or a number from a
caller), returns the clean value, or raises :class:`FieldError` naming the
field with a sentence that says what is allowed.  The pages check a form
with these rules before calling a service, to show the sentence beside the
field; the services check their arguments with the same rules, so a caller
that skips the page (the CLI, a script, a forged request) is refused alike.

The sentence is kept as a template with its values (:attr:`FieldError.template`,
:attr:`FieldError.values`) so the web layer can show it in the reader's
language; ``str(error)`` is the English sentence prefixed with the field.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from typing import Any

from hexops.errors import InputError


def N_(text: str) -> str:
    """Mark ``text`` for the message catalogue without translating it here (services have no locale)."""
    return text


#: Longest free text (reasons, notes, filters), in characters.
MAX_TEXT_CHARS = 500
#: Longest name (zones, plans), in characters.
MAX_NAME_CHARS = 200
#: Patrol units one plan may send out.
MAX_PATROL_UNITS = 200
#: Most people one event zone may be declared to hold safely.
MAX_ZONE_CAPACITY = 1_000_000
#: A layer grant lasts at most this long (renewed, with a reason, when an agreement is).
MAX_GRANT_DAYS = 730
#: Ids are PostgreSQL bigints.
MAX_ID = 2**62


class FieldError(InputError):
    """A value refused by a rule (a 400); ``field`` names the input, ``template``/``values`` word why.

    A service that has its own error class re-raises it as that class with
    :func:`carry`, so its callers' ``except`` clauses still hold.
    """

    def __init__(self, field: str, template: str, **values: Any):
        self.template = template
        self.values = values
        self.sentence = template.format(**values)
        super().__init__(f"{field}: {self.sentence}", field=field)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def whole_number(value: Any, field: str, *, low: int, high: int, required: bool = True) -> int | None:
    """A whole number in ``[low, high]`` typed as text (``" 12 "``) or given as a number (``12.0``).

    Raises
    ------
    FieldError
        Blank when ``required``; not a number; a fraction (``1.5``, ``12.5``);
        below ``low`` or above ``high`` (``1e12``), each with its own sentence.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise FieldError(field, N_("Required: enter a whole number from {low} to {high}."), low=low, high=high)
        return None
    number = value
    if isinstance(value, str):
        text = value.strip().replace(",", "")
        if len(text) > 40:
            raise FieldError(field, N_("Enter a whole number from {low} to {high}."), low=low, high=high)
        try:
            number = float(text)
        except ValueError:
            raise FieldError(field, N_("Enter a whole number from {low} to {high}."), low=low, high=high) from None
    if not _is_number(number) or not math.isfinite(number):
        raise FieldError(field, N_("Enter a whole number from {low} to {high}."), low=low, high=high)
    if number != int(number):
        raise FieldError(field, N_("Enter a whole number (no fractions) from {low} to {high}."), low=low, high=high)
    if number < low:
        raise FieldError(field, N_("Must be at least {low} (at most {high})."), low=low, high=high)
    if number > high:
        raise FieldError(field, N_("Must be at most {high} (at least {low})."), low=low, high=high)
    return int(number)


def text(value: Any, field: str, *, max_chars: int = MAX_TEXT_CHARS, required: bool = False) -> str | None:
    """Printable text of at most ``max_chars`` characters, stripped (blank is None unless ``required``)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise FieldError(field, N_("Required: up to {max_chars} characters."), max_chars=max_chars)
        return None
    if not isinstance(value, str):
        raise FieldError(field, N_("Enter text of up to {max_chars} characters."), max_chars=max_chars)
    if len(value) > max_chars:
        raise FieldError(field, N_("Too long: {given} characters given, at most {max_chars} allowed."),
                         given=len(value), max_chars=max_chars)
    if any((ord(c) < 32 and c not in "\t\n") or ord(c) == 127 for c in value):
        raise FieldError(field, N_("Remove the control characters (only printable text is allowed)."))
    return value.strip()


def day(value: Any, field: str, *, required: bool = True) -> date | None:
    """A date as ``YYYY-MM-DD`` (a date picker's value; a time part is ignored)."""
    if isinstance(value, date):
        return value
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise FieldError(field, N_("Required: choose a date (YYYY-MM-DD)."))
        return None
    if isinstance(value, str) and 10 <= len(value.strip()) <= 40:
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            pass
    raise FieldError(field, N_("Enter a date as YYYY-MM-DD."))


def grant_expiry(value: Any, field: str, *, today: date) -> date:
    """The day a grant ends (at its start, in the city's time): after ``today``, at most :data:`MAX_GRANT_DAYS` ahead."""
    picked = day(value, field)
    first, last = today + timedelta(days=1), today + timedelta(days=MAX_GRANT_DAYS)
    if not first <= picked <= last:
        raise FieldError(field, N_("Choose a date from {first} to {last} (a grant lasts at most {days} days)."),
                         first=first.isoformat(), last=last.isoformat(), days=MAX_GRANT_DAYS)
    return picked


def grant_end(expires_at: datetime, field: str, *, now: datetime) -> datetime:
    """A grant's end as a time: after ``now`` and at most :data:`MAX_GRANT_DAYS` (and a day) after it."""
    if expires_at <= now:
        raise FieldError(field, N_("Must be in the future."))
    if expires_at > now + timedelta(days=MAX_GRANT_DAYS + 1):
        raise FieldError(field, N_("A grant lasts at most {days} days: choose an earlier end."), days=MAX_GRANT_DAYS)
    return expires_at


def date_range(start: Any, end: Any, start_field: str, end_field: str) -> tuple[date | None, date | None]:
    """An optional ``start``..``end`` pair; ``end`` before ``start`` is refused naming ``end_field``."""
    first, last = day(start, start_field, required=False), day(end, end_field, required=False)
    if first is not None and last is not None and last < first:
        raise FieldError(end_field, N_("The end date must be on or after the start date ({start})."),
                         start=first.isoformat())
    return first, last


def patrol_units(value: Any, field: str = "units") -> int:
    """How many patrol units a plan sends out: 1 to :data:`MAX_PATROL_UNITS`."""
    return whole_number(value, field, low=1, high=MAX_PATROL_UNITS)


def zone_capacity(value: Any, field: str = "capacity") -> int:
    """How many people a zone holds safely: 1 to :data:`MAX_ZONE_CAPACITY`."""
    return whole_number(value, field, low=1, high=MAX_ZONE_CAPACITY)


def zone_name(value: Any, field: str = "name") -> str:
    """A zone's name: 1 to :data:`MAX_NAME_CHARS` printable characters."""
    return text(value, field, max_chars=MAX_NAME_CHARS, required=True)


def record_id(value: Any, field: str) -> int:
    """The id of a row shown in a table (a grant, a CORS entry): a whole number from 1."""
    return whole_number(value, field, low=1, high=MAX_ID)


def carry(error: FieldError, wrapped: InputError) -> InputError:
    """``wrapped`` (a service's own InputError naming the same field) with ``error``'s sentence attached."""
    wrapped.template, wrapped.values, wrapped.sentence = error.template, error.values, error.sentence
    return wrapped
