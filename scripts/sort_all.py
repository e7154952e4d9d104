"""Sort every ``__all__`` list of the package (plain string order, as the API test wants).

python scripts/sort_all.py
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    for path in sorted((ROOT / "fea").rglob("*.py")):
        text = path.read_text()
        m = re.search(r"__all__ = \[(.*?)\]", text, re.S)
        if not m:
            continue
        names = re.findall(r'"([^"]+)"', m.group(1))
        if names != sorted(names):
            new = "__all__ = [\n" + "".join(f'    "{n}",\n' for n in sorted(names)) + "]"
            path.write_text(text[: m.start()] + new + text[m.end() :])
            print(f"sorted {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
