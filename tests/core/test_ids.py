import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpdesk_kit.errors import InvalidInput
from helpdesk_kit.ids import format_ticket_number, new_id, parse_ticket_number


def test_ids_sort_by_creation_and_are_unique():
    ids = [new_id() for _ in range(10_000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    assert all(len(i) == 26 for i in ids)


@given(st.integers(min_value=1, max_value=10**12))
def test_ticket_number_round_trip(n):
    assert parse_ticket_number(format_ticket_number(n)) == n
    assert parse_ticket_number(str(n)) == n
    assert parse_ticket_number(n) == n


@pytest.mark.parametrize("bad", ["", "#", "#-3", "abc", "#12a", "0", "#０１", -1, 0])
def test_bad_ticket_numbers(bad):
    with pytest.raises(InvalidInput):
        parse_ticket_number(bad)
