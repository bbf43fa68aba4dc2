"""How ``words.npz`` was made: common words of eight languages, for classifying a word's
language from its characters (sequences of 3 to 14 characters).

    pip install wordfreq==3.1.1 numpy
    python course_utils/datasets/make_words.py course_utils/datasets/words.npz

The words come from wordfreq 3.1.1 (Robyn Speer), whose word lists may be redistributed under
the Creative Commons Attribution-ShareAlike 4.0 licence
(https://creativecommons.org/licenses/by-sa/4.0/); so may ``words.npz``, with that attribution.
For each language: its most frequent words (the 100 most frequent left out: mostly short
function words), lower-case letters of its own alphabet only, 3 to 14 characters, no swear
word of ``BLOCKED``, a word common in two of the languages left out of both; the first
``PER_LANGUAGE`` that remain. The file holds ``words`` (unicode, (N,)), ``labels`` (uint8,
(N,), an index into ``languages``) and ``languages`` (unicode, (8,)), in a seeded shuffled
order.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

LANGUAGES = ("en", "de", "fr", "es", "it", "nl", "pl", "fi")
ALPHABETS = {
    "en": "abcdefghijklmnopqrstuvwxyz",
    "de": "abcdefghijklmnopqrstuvwxyzäöüß",
    "fr": "abcdefghijklmnopqrstuvwxyzàâæçéèêëîïôœùûüÿ",
    "es": "abcdefghijklmnopqrstuvwxyzáéíñóúü",
    "it": "abcdefghijklmnopqrstuvwxyzàèéìíîòóùú",
    "nl": "abcdefghijklmnopqrstuvwxyzéëïöü",
    "pl": "abcdefghijklmnopqrstuvwxyząćęłńóśźż",
    "fi": "abcdefghijklmnopqrstuvwxyzäöå",
}
BLOCKED = {
    "fuck",
    "fucking",
    "shit",
    "bitch",
    "damn",
    "scheiße",
    "scheisse",
    "arsch",
    "merde",
    "putain",
    "bordel",
    "mierda",
    "puta",
    "joder",
    "coño",
    "cazzo",
    "merda",
    "stronzo",
    "cazzi",
    "kut",
    "godverdomme",
    "kurwa",
    "kurwy",
    "chuj",
    "pierdolę",
    "vittu",
    "perkele",
    "paska",
    "saatana",
}
"""Swear words (wordfreq's lists hold common ones), left out of a course dataset."""
PER_LANGUAGE = 600
SKIP_TOP = 100
SEED = 2026


def candidates(language: str, top_n_list) -> list[str]:  # noqa: ANN001
    alphabet = set(ALPHABETS[language])
    words = top_n_list(language, 20_000)[SKIP_TOP:]
    return [w for w in words if 3 <= len(w) <= 14 and set(w) <= alphabet and w not in BLOCKED]


def build() -> dict[str, np.ndarray]:
    from wordfreq import top_n_list  # type: ignore[import-not-found]

    pools = {lang: candidates(lang, top_n_list) for lang in LANGUAGES}
    seen: dict[str, int] = {}
    for words in pools.values():
        for w in set(words[: PER_LANGUAGE * 3]):
            seen[w] = seen.get(w, 0) + 1
    words, labels = [], []
    for index, lang in enumerate(LANGUAGES):
        kept = [w for w in pools[lang] if seen.get(w, 0) == 1][:PER_LANGUAGE]
        if len(kept) < PER_LANGUAGE:
            raise SystemExit(f"{lang}: only {len(kept)} words")
        words += kept
        labels += [index] * len(kept)
    order = np.random.default_rng(SEED).permutation(len(words))
    return {
        "words": np.array(words, dtype="<U14")[order],
        "labels": np.array(labels, dtype=np.uint8)[order],
        "languages": np.array(LANGUAGES, dtype="<U2"),
    }


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "words.npz")
    built = build()
    np.savez_compressed(
        out, words=built["words"], labels=built["labels"], languages=built["languages"]
    )
    print(out, out.stat().st_size, "bytes")
