"""URL rules that build their url_for code when first asked, not when registered.

Werkzeug compiles two URL builders (generated Python, `compile()`d) for every rule as it is
added: about 65 ms of the app factory's 80 ms, paid by every process start and every test's
app, for rules most processes never build a URL for (a webhook worker builds none).
"""

from collections.abc import Callable
from typing import Any

from werkzeug.routing import Rule


class LazyRule(Rule):
    """A Rule whose URL builders are compiled on their first use, once each."""

    def _compile_builder(self, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
        compiled: Callable[..., tuple[str, str]] | None = None

        def build(rule: Rule, *args: Any, **kwargs: Any) -> tuple[str, str]:
            nonlocal compiled
            if compiled is None:
                compiled = Rule._compile_builder(rule, append_unknown)
            return compiled(rule, *args, **kwargs)

        return build
