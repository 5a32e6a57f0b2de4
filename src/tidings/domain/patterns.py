"""Regular expressions that users write (handset scripts), run by RE2 in linear time.

Python's ``re`` backtracks: ``(a+)+$`` against ``"a" * 30 + "!"`` takes minutes, and a
pattern evaluated on the event loop freezes the whole server meanwhile. RE2 (Google's
engine, through the maintained ``google-re2`` binding) never backtracks: a match costs time
linear in the text, whatever the pattern. What RE2 cannot do in linear time it does not
support (backreferences such as ``(a)\\1``, lookaround such as ``(?=x)``, possessive and atomic
groups): such patterns are refused with a clear error where they are stored.

Patterns are also bounded in length and in the memory RE2 may give their automaton, so a
pattern like ``(((a{100}){100}){100})`` is refused rather than compiled.

Every user pattern is compiled through ``compile_pattern`` both where it is stored (to refuse
it with a 400) and where it is used (so one stored before this rule, or written to the
database by hand, is still run by RE2; one RE2 refuses then matches nothing).
"""

from __future__ import annotations

import functools
from typing import Any, Protocol

import re2

from tidings.errors import InvalidInput

#: The longest pattern accepted, in characters.
MAX_PATTERN = 512
#: Memory RE2 may use for one compiled pattern (its default is 8 MiB).
MAX_PATTERN_MEMORY = 1 << 20


class Pattern(Protocol):
    def search(self, text: str) -> Any: ...


def _options(*, ignore_case: bool) -> Any:
    options = re2.Options()
    options.log_errors = False  # the error is raised (and reported to the user), not logged
    options.max_mem = MAX_PATTERN_MEMORY
    options.case_sensitive = not ignore_case
    return options


def compile_pattern(pattern: str, *, ignore_case: bool = False, target: str = "pattern") -> Pattern:
    """``pattern`` compiled by RE2; ``InvalidInput`` (naming ``target``) when it is too long or
    uses syntax RE2 does not run in linear time."""
    if len(pattern) > MAX_PATTERN:
        raise InvalidInput(
            f"{target} is longer than {MAX_PATTERN} characters.", target=target.split("[")[0]
        )
    try:
        return _compiled(pattern, ignore_case)
    except re2.error as exc:
        raise InvalidInput(
            f"{target} is not a pattern Tidings can run in linear time (RE2 syntax: no "
            f"backreferences or lookaround): {_reason(exc)}",
            target=target.split("[")[0],
        ) from None


@functools.lru_cache(maxsize=1024)
def _compiled(pattern: str, ignore_case: bool) -> Pattern:
    compiled: Pattern = re2.compile(pattern, _options(ignore_case=ignore_case))
    return compiled


def _reason(exc: Exception) -> str:
    reason = exc.args[0] if exc.args else exc
    if isinstance(reason, bytes):
        reason = reason.decode("utf-8", "replace")
    return str(reason)


def search(pattern: str, text: str, *, ignore_case: bool = False) -> bool:
    """Whether ``pattern`` is found in ``text``; a pattern RE2 refuses matches nothing."""
    try:
        compiled = compile_pattern(pattern, ignore_case=ignore_case)
    except InvalidInput:
        return False
    return compiled.search(text) is not None
