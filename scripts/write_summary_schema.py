"""Write docs/summary.schema.json and the README's table of summary fields from the typed summary model:
``uv run python scripts/write_summary_schema.py``.

A test (tests/results/test_summary_schema.py) fails when either disagrees with the model.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from megacluster.results.fields import fields_markdown
from megacluster.results.summary import summary_schema

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "docs" / "summary.schema.json"
README = ROOT / "README.md"
BLOCK = re.compile(r"(<!-- summary-fields:start -->\n)(.*?)(<!-- summary-fields:end -->)", re.S)


def readme_with_fields(text: str) -> str:
    """The README text with its generated fields table replaced by the current one."""
    if not BLOCK.search(text):
        raise SystemExit("README.md has no <!-- summary-fields:start/end --> block")
    return BLOCK.sub(lambda m: m.group(1) + fields_markdown() + m.group(3), text)


def main() -> None:
    SCHEMA.write_text(json.dumps(summary_schema(), indent=2) + "\n", encoding="utf-8")
    README.write_text(readme_with_fields(README.read_text("utf-8")), encoding="utf-8")
    print(f"wrote {SCHEMA} and the fields table in {README}")


if __name__ == "__main__":
    main()
