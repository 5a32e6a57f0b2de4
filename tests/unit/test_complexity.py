"""No function in ``src/tidings`` ranks D or worse by cyclomatic complexity (radon): a
branchy function is split into named steps."""

from __future__ import annotations

from pathlib import Path

from radon.complexity import cc_rank, cc_visit

SRC = Path(__file__).resolve().parents[2] / "src" / "tidings"


def test_no_function_ranks_d_or_worse() -> None:
    ranked = []
    for path in sorted(SRC.rglob("*.py")):
        for block in cc_visit(path.read_text()):
            if cc_rank(block.complexity) not in "ABC":
                ranked.append(
                    f"{path.relative_to(SRC)}:{block.lineno} {block.fullname} "
                    f"{cc_rank(block.complexity)} ({block.complexity})"
                )
    assert ranked == []
