"""How a number out of range is refused, in the words an organiser uses: "at least 1", never the
largest number a 64-bit column holds."""

# The largest id or number a database row can have (a 64-bit integer), and a count in a 32-bit
# column (PostgreSQL's integer).
MAX_ID = 2**63 - 1
MAX_COUNT = 2**31 - 1


def out_of_range(shown: str, value: int, maximum: int) -> str | None:
    """Why `value` (typed as `shown`) is not a number from 1 to `maximum`; None when it is.
    A number beyond what any row can hold is too large to name a thing, so say that, not the
    limit's 19 digits."""
    if value < 1:
        return f"{shown} is too small: give a number of at least 1"
    if value > maximum:
        if maximum >= MAX_COUNT:
            return f"{shown} is too large: no number here goes that high"
        return f"{shown} is too large: give a number of at most {maximum:,}"
    return None
