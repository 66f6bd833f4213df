"""Every URL the app knows builds and reads back the same, though its builder is compiled only
when first asked (bot/web/rules.py), and extra values still become the query string."""

from werkzeug.routing import PathConverter, Rule
from werkzeug.routing.converters import AnyConverter, NumberConverter

from bot.web.rules import LazyRule


def _values(rule: Rule) -> dict[str, object]:
    """A value for each of the rule's variables that its converter takes."""

    def sample(converter: object) -> object:
        if isinstance(converter, NumberConverter):
            return 7
        if isinstance(converter, AnyConverter):
            return sorted(converter.items)[0]
        return "a/b" if isinstance(converter, PathConverter) else "riverside"

    return {name: sample(converter) for name, converter in rule._converters.items()}


def test_every_rule_builds_a_url_that_routes_back_to_it(app):
    adapter = app.url_map.bind("purse.example.org")
    rules = list(app.url_map.iter_rules())
    # Flask adds /static/<filename> as it is made, before the factory can set the class.
    assert rules and all(isinstance(rule, LazyRule) for rule in rules if rule.endpoint != "static")
    for rule in rules:
        values = _values(rule)
        url = adapter.build(rule.endpoint, values, method=next(iter(rule.methods or {"GET"})))
        method = next(iter(rule.methods - {"HEAD", "OPTIONS"} or {"GET"}))
        endpoint, matched = adapter.match(url, method=method)
        assert endpoint == rule.endpoint and matched == values, (rule.rule, url)


def test_unknown_values_become_the_query_string(app):
    with app.test_request_context():
        from flask import url_for

        assert url_for("health.healthz", page=2, q="a b") == "/healthz?page=2&q=a+b"
