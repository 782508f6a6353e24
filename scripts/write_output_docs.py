"""Write docs/summary.schema.json and the README's tables of summary fields and Parquet columns from the
code: ``uv run python scripts/write_output_docs.py``.

Tests (tests/results/) fail when the files disagree with the code.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from megacluster.results.columns import EVENTS_COLUMNS, TIMESERIES_COLUMNS, columns_markdown
from megacluster.results.fields import fields_markdown
from megacluster.results.summary import summary_schema

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "docs" / "summary.schema.json"
README = ROOT / "README.md"


def _blocks() -> dict[str, str]:
    return {
        "summary-fields": fields_markdown(),
        "timeseries-columns": columns_markdown(TIMESERIES_COLUMNS),
        "events-columns": columns_markdown(EVENTS_COLUMNS),
    }


def readme_with_fields(text: str) -> str:
    """The README text with its generated tables replaced by the current ones."""
    for name, table in _blocks().items():
        block = re.compile(rf"(<!-- {name}:start -->\n)(.*?)(<!-- {name}:end -->)", re.S)
        if not block.search(text):
            raise SystemExit(f"README.md has no <!-- {name}:start/end --> block")
        text = block.sub(lambda m, t=table: m.group(1) + t + m.group(3), text)
    return text


def main() -> None:
    SCHEMA.write_text(json.dumps(summary_schema(), indent=2) + "\n", encoding="utf-8")
    README.write_text(readme_with_fields(README.read_text("utf-8")), encoding="utf-8")
    print(f"wrote {SCHEMA} and the generated tables in {README}")


if __name__ == "__main__":
    main()
