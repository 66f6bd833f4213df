"""Click parameter types for what organisers type: money, dates, numbers, weeks."""

import re
from datetime import date

import click

from bot.text.money import MAX_PENCE, format_pence, parse_amount
from bot.text.numbers import MAX_COUNT, MAX_ID, out_of_range


class Money(click.ParamType[int]):
    name = "amount"

    def convert(self, value: str | int, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        pence = parse_amount(value)
        if pence is None:
            self.fail(
                f"{value!r} is not an amount of money from 1p to {format_pence(MAX_PENCE)} "
                "(try 2500, £2,500 or £2.5k)",
                param,
                ctx,
            )
        return pence


class Day(click.ParamType[date]):
    name = "date"

    def convert(self, value: str | date, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.fail(f"{value!r} is not a date like 2026-11-26", param, ctx)


class Number(click.ParamType[int]):
    """A whole number from 1 to `maximum`: ids, idea numbers, counts."""

    name = "number"

    def __init__(self, maximum: int = MAX_ID):
        self.maximum = maximum

    def convert(self, value: str | int, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        if not re.fullmatch(r"\s*[0-9]+\s*", value):
            self.fail(f"{value!r} is not a whole number", param, ctx)
        # Compare digits before converting: int() refuses more than 4,300 of them.
        digits = value.strip().lstrip("0") or "0"
        # Too many digits is too large, whatever they are.
        number = int(digits) if len(digits) <= len(str(self.maximum)) else self.maximum + 1
        refused = out_of_range(value.strip(), number, self.maximum)
        if refused:
            self.fail(refused, param, ctx)
        return number


MONEY = Money()
DAY = Day()
ID = Number()
# Counts stored in a 32-bit column (PostgreSQL's integer).
COUNT = Number(MAX_COUNT)
