"""The one paging helper every list endpoint uses: a page cut from `limit + 1` rows, and its cursor read back."""

from __future__ import annotations

import pytest
from fastapi.exceptions import RequestValidationError

from libs.http import MAX_PAGE, Page, cursor_of


def page(after: str | None = None, limit: int = 2) -> Page:
    return Page(after=after, limit=limit)


def test_a_page_shows_limit_rows_and_the_extra_row_says_another_page_follows() -> None:
    assert page().of(["a", "b", "c"], str) == (["a", "b"], "b")
    assert page().of(["a", "b"], str) == (["a", "b"], None)
    assert page().of([], str) == ([], None)
    assert page().fetch == 3


def test_a_composite_cursor_reads_back_into_its_parts_the_last_keeping_any_bar() -> None:
    assert page(cursor_of("2031-03-01T00:00:00+00:00", "settled", "S|1")).cursor(3) == (
        "2031-03-01T00:00:00+00:00", "settled", "S|1")
    assert page().cursor(3) is None


@pytest.mark.parametrize("after", ["S1", "S1|settled"])
def test_a_cursor_with_too_few_parts_is_the_callers_error_naming_after(after: str) -> None:
    with pytest.raises(RequestValidationError) as refused:
        page(after).cursor(3)
    assert refused.value.errors()[0]["loc"] == ("query", "after")


def test_a_cursor_its_list_cannot_read_is_the_callers_error_too() -> None:
    def a_number(parts: tuple[str, ...]) -> None:
        int(parts[0])

    with pytest.raises(RequestValidationError):
        page("x").cursor(1, a_number)


def test_no_page_is_longer_than_a_thousand_entries() -> None:
    assert MAX_PAGE == 1000
