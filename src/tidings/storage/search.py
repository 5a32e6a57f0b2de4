"""How the console's list searches match a phone number column."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa


def number_matches(column: sa.ColumnElement[str], search: str) -> Any:
    """Numbers containing the search's digits ("555-0101" finds "+15555550101"); a search with
    no digits (an alphanumeric sender id) matches its text, in any case. LIKE wildcards in the
    search are taken literally."""
    digits = "".join(ch for ch in search if ch.isdigit())
    if digits:
        return column.contains(digits, autoescape=True)
    return column.icontains(search.strip(), autoescape=True)
