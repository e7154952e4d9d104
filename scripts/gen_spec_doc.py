"""Regenerate docs/spec.md, the reference of every study-file key, from the schema.

Usage: python scripts/gen_spec_doc.py [--check]
(--check: exit 1 when docs/spec.md is not current, write nothing).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fea.package.spec.reference import spec_reference  # noqa: E402


def main(argv: list[str]) -> int:
    target = ROOT / "docs" / "spec.md"
    text = spec_reference()
    if "--check" in argv:
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        if current != text:
            print(f"{target} is not current: python scripts/gen_spec_doc.py", file=sys.stderr)
            return 1
        return 0
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
