"""Click parameter types for what organisers type: money, dates, numbers, weeks."""

import re
from datetime import date

import click

from bot.text.money import MAX_PENCE, format_pence, parse_amount

MAX_ID = 2**63 - 1  # the largest id or number a database row can have (a 64-bit integer)


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
        if len(digits) > len(str(self.maximum)) or not 1 <= int(digits) <= self.maximum:
            self.fail(f"{value.strip()} is not a number from 1 to {self.maximum}", param, ctx)
        return int(digits)


MONEY = Money()
DAY = Day()
ID = Number()
# Counts stored in a 32-bit column (PostgreSQL's integer).
COUNT = Number(2**31 - 1)
