"""What an email address typed by an organiser must look like, wherever one is typed: an
organiser's or officer's sign-in, a council's or a service's address, a privacy contact, the
organiser named on a correction. A light check (something@somewhere.tld, no spaces), since the
mail server is the one judge of whether it exists."""

import re

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def is_email(text: str, longest: int = 254) -> bool:
    return len(text) <= longest and _EMAIL.fullmatch(text) is not None
