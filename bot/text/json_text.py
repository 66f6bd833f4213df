"""JSON for scripts and downloads: characters a terminal would act on written as \\u escapes."""

import json
import re

# C1 controls, DEL, bidi overrides and lone surrogates: json.dumps escapes C0 controls itself.
_UNSAFE_IN_JSON = re.compile(r"[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def to_json(value: object) -> str:
    """Indented JSON; the escapes read back as the same characters, so nothing is lost."""
    text = json.dumps(value, indent=2, ensure_ascii=False, default=str)
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m[0]):04x}", text)
