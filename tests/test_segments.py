"""SMS segments: what each message costs the community."""

import pytest

from channels.segments import count_segments


@pytest.mark.parametrize(
    "text, encoding, segments",
    [
        ("", "GSM-7", 1),
        ("a" * 160, "GSM-7", 1),
        ("a" * 161, "GSM-7", 2),
        ("a" * 306, "GSM-7", 2),
        ("a" * 307, "GSM-7", 3),
        ("£ and @ are GSM-7", "GSM-7", 1),
        ("€" * 80, "GSM-7", 1),  # extension characters take two septets
        ("€" * 81, "GSM-7", 2),
        ("Café ✓", "UCS-2", 1),
        ("ŵ" * 70, "UCS-2", 1),
        ("ŵ" * 71, "UCS-2", 2),
        ("ŵ" * 134, "UCS-2", 2),
        ("ŵ" * 135, "UCS-2", 3),
        ("🙂" * 35, "UCS-2", 1),  # an emoji is two UTF-16 units
        ("🙂" * 36, "UCS-2", 2),
    ],
)
def test_segment_counts(text, encoding, segments):
    count = count_segments(text)
    assert (count.encoding, count.segments) == (encoding, segments)


def test_an_escape_pair_is_not_split_across_segments():
    # 152 plain septets then "€" (2 septets) would straddle the 153-septet boundary.
    assert count_segments("a" * 152 + "€" + "a" * 152).segments == 3
    assert count_segments("a" * 151 + "€" + "a" * 153).segments == 2


def test_text_can_be_spelled_in_gsm7():
    from channels.segments import is_gsm7, to_gsm7

    assert to_gsm7("Ynys Môn’s café — “fun” 🙂") == 'Ynys Mon\'s café - "fun" '
    assert is_gsm7(to_gsm7("ŵ🙂…Żółć"))
