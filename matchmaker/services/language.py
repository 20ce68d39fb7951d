"""Which languages a posting is written in: English, Traditional or Simplified Chinese (or several)."""

from __future__ import annotations

import re
from functools import lru_cache

_LATIN_WORD = re.compile(r"[A-Za-z]{3,}")
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@lru_cache(maxsize=1)
def _to_simplified():
    import opencc

    return opencc.OpenCC("t2s")


def detect_languages(text: str) -> list[str]:
    """BCP 47 tags in a stable order; a Han text that reads the same in both scripts counts as Simplified."""
    found = []
    if len(_LATIN_WORD.findall(text)) >= 3:
        found.append("en")
    han = "".join(_HAN.findall(text))
    if len(han) >= 2:
        found.append("zh-Hant" if _to_simplified().convert(han) != han else "zh-Hans")
    return found
