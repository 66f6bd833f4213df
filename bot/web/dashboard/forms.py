"""The dashboard's form plumbing: values typed into a form, read as the CLI reads its options
(with the same one-line messages), and a form's action run so that a refusal is shown beside
the field it is about, with what was typed kept."""

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal, TypeVar, overload

from flask import flash, g, redirect, request
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import MultiDict

from bot.context import now
from bot.errors import InvalidInput, NotFound
from bot.text.money import MAX_PENCE, format_pence, parse_amount
from bot.text.numbers import out_of_range
from models import FormUse

T = TypeVar("T")
Form = MultiDict[str, str]

MAX_NUMBER = 2**63 - 1  # as the CLI: the largest number a database row can have
MAX_TEXT = 5000  # as the API: more than any column we write from a form holds
ONCE_LENGTH = 64  # the longest one-time token the form_use table holds


@dataclass(frozen=True)
class Failure:
    """A refused form, and the field to show the message beside."""

    form: str  # which form on the page ("allocate", "spend" ...)
    field: str
    message: str


# Reading a form. A value that does not read is refused with the form's own name for it.


def text_in(form: Form, name: str) -> str:
    value = form.get(name, "")
    if "\x00" in value:  # PostgreSQL text cannot hold NUL
        raise InvalidInput(f"{name} must not contain NUL characters", field=name)
    if len(value) > MAX_TEXT:
        raise InvalidInput(f"{name} is longer than {MAX_TEXT} characters", field=name)
    return value


@overload
def amount_in(form: Form, name: str, required: Literal[True] = True) -> int: ...
@overload
def amount_in(form: Form, name: str, required: bool) -> int | None: ...
def amount_in(form: Form, name: str, required: bool = True) -> int | None:
    value = form.get(name, "").strip()
    if not value and not required:
        return None
    pence = parse_amount(value)
    if pence is None:
        raise InvalidInput(
            f"{value!r} is not an amount of money from 1p to "
            f"{format_pence(MAX_PENCE)} (try 2500, £2,500 or £2.5k)",
            field=name,
        )
    return pence


@overload
def number_in(form: Form, name: str, required: Literal[True]) -> int: ...
@overload
def number_in(form: Form, name: str, required: bool = False) -> int | None: ...
def number_in(form: Form, name: str, required: bool = False) -> int | None:
    value = form.get(name, "").strip()
    if not value and not required:
        return None
    return whole_number(value, name)


def whole_number(value: str, field: str) -> int:
    if not value.isascii() or not value.isdigit():
        raise InvalidInput(f"{value!r} is not a whole number", field=field)
    digits = value.lstrip("0") or "0"  # compared as digits: int() refuses more than 4,300
    number = int(digits) if len(digits) <= len(str(MAX_NUMBER)) else MAX_NUMBER + 1
    refused = out_of_range(value, number, MAX_NUMBER)
    if refused:
        raise InvalidInput(refused, field=field)
    return number


def day_in(form: Form, name: str, today: date) -> date:
    value = form.get(name, "").strip()
    if not value:
        return today
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{value!r} is not a date like 2026-11-26", field=name) from None


# Running a form's action.

ALREADY_SENT = "this form was already sent (by going back, or a second click): nothing was done again"


def once() -> str:
    """A new one-time token for a form that changes something (a hidden field named "once")."""
    return secrets.token_urlsafe(24)


def _claim_once() -> None:
    """Claim the posted form's one-time token: sent again, the form is refused and changes
    nothing. A form without one (an API-like post, or an older page) is not checked."""
    token = request.form.get("once", "")
    if not token:
        return
    if len(token) > ONCE_LENGTH:
        raise InvalidInput("this form's one-time token is not one we gave: reload the page")
    if g.db_session.get(FormUse, token) is not None:
        raise InvalidInput(ALREADY_SENT)
    g.db_session.add(FormUse(token=token, used_at=now()))
    try:
        g.db_session.flush()
    except IntegrityError:  # the same form, sent twice at once: the other request claimed it
        raise InvalidInput(ALREADY_SENT) from None


def fields(*names: str, **renamed: str) -> dict[str, str]:
    """A form's fields, for `attempt`: its own names, and a service's names for them
    (`amount_pence="amount"`)."""
    return {**{name: name for name in names}, **renamed}


def attempt(
    form: str,
    action: Callable[[], T],
    *,
    field: str,
    shown: Mapping[str, str] | None = None,
    missing: str | None = None,
    claim: bool = True,
) -> T | Failure:
    """Run `action()` in a savepoint: its result, or a Failure with nothing kept.

    A refusal that names a field `shown` (from `fields`) lists is shown beside the form's field
    for it; any other beside `field`. A NotFound is shown beside `missing`, else `field`."""
    try:
        with g.db_session.begin_nested():
            if claim and not g.get("once_claimed"):  # a request may run more than one action
                _claim_once()
            result = action()
        g.once_claimed = True  # kept only with an action that succeeded
        return result
    except InvalidInput as exc:
        return Failure(form, (shown or {}).get(exc.field or "", field), str(exc))
    except NotFound as exc:
        return Failure(form, missing or field, str(exc))


def submit(
    form: str,
    action: Callable[[], str | None],
    *,
    again: Callable[[Failure], ResponseReturnValue],
    then: str,
    field: str,
    shown: Mapping[str, str] | None = None,
    missing: str | None = None,
) -> ResponseReturnValue:
    """A form posted: run `action` (as `attempt`), then flash what it says and go to `then`;
    refused, the page `again`, with the refusal beside its field."""
    result = attempt(form, action, field=field, shown=shown, missing=missing)
    if isinstance(result, Failure):
        return again(result)
    if result:
        flash(result)
    return redirect(then)
