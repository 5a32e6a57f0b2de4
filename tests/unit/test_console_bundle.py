"""The console's built bundle is committed inside the package, complete and up to date.

``scripts/test`` does not run Node.js; ``console/scripts/stamp.mjs`` records a hash of the
sources at build time and this test recomputes it, so a source change without a rebuild
(``cd console && npm ci && npm run build``) fails here.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from tidings.api.routes.console import STATIC_DIR

ROOT = Path(__file__).resolve().parents[2]
CONSOLE = ROOT / "console"


def _source_files(directory: Path) -> list[str]:
    out: list[str] = []
    for path in sorted(directory.iterdir(), key=lambda p: p.name):
        if path.is_dir():
            out.extend(_source_files(path))
        else:
            out.append(path.relative_to(CONSOLE).as_posix())
    return out


def test_index_references_only_shipped_local_assets() -> None:
    index = (STATIC_DIR / "index.html").read_text()
    assert '<div id="app">' in index
    refs = re.findall(r'(?:src|href)="([^"]+)"', index)
    assets = [r for r in refs if r.startswith("/console/assets/")]
    assert any(a.endswith(".js") for a in assets) and any(a.endswith(".css") for a in assets)
    for ref in assets:
        assert (STATIC_DIR / "assets" / ref.removeprefix("/console/assets/")).is_file(), ref
    assert not [r for r in refs if "://" in r or r.startswith("//")], refs


def test_no_asset_loads_anything_from_the_internet() -> None:
    for path in (STATIC_DIR / "assets").iterdir():
        text = path.read_text(errors="replace")
        assert not re.search(r"@import\s+url\(|fonts\.googleapis|cdn\.jsdelivr|unpkg\.com", text)


def test_bundle_is_built_from_the_current_sources() -> None:
    stamp = json.loads((STATIC_DIR / "build-stamp.json").read_text())
    files = [
        "index.html",
        "package-lock.json",
        "vite.config.js",
        *_source_files(CONSOLE / "src"),
    ]
    assert stamp["files"] == files, "console sources changed: run `npm run build` in console/"
    digest = hashlib.sha256()
    for name in files:
        digest.update(name.encode() + b"\n")
        digest.update((CONSOLE / name).read_bytes())
        digest.update(b"\n")
    assert stamp["sources"] == digest.hexdigest(), (
        "the committed console bundle is older than its sources: "
        "run `cd console && npm ci && npm run build`"
    )
