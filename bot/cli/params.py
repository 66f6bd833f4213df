"""Click parameter types for what organisers type: money, dates."""
from datetime import date

import click

from bot.text.money import parse_amount


class Money(click.ParamType):
    name = "amount"

    def convert(self, value, param, ctx):
        if isinstance(value, int):
            return value
        pence = parse_amount(value)
        if pence is None:
            self.fail(f"{value!r} is not an amount of money (try 2500, £2,500 or £2.5k)", param, ctx)
        return pence


class Day(click.ParamType):
    name = "date"

    def convert(self, value, param, ctx):
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.fail(f"{value!r} is not a date like 2026-11-26", param, ctx)


MONEY = Money()
DAY = Day()
