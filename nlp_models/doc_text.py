"""The input string of a Doc, kept at tokenisation.

`Doc.text` rebuilds the string from the tokens on every access, which showed
as a tenth of the parse time; the pipeline's tokenizer keeps the string in
``doc.user_data`` instead.
"""

from __future__ import annotations

from collections.abc import Callable

from spacy.tokens import Doc

TEXT_KEY = "trialmatch_text"


class TextKeepingTokenizer:
    """Wraps a tokenizer; the Doc it makes carries the string it was made from."""

    def __init__(self, tokenizer: Callable[[str], Doc]) -> None:
        self.tokenizer = tokenizer

    def __call__(self, text: str) -> Doc:
        doc = self.tokenizer(text)
        doc.user_data[TEXT_KEY] = text
        return doc


def source_text(doc: Doc) -> str:
    text = doc.user_data.get(TEXT_KEY)
    return text if isinstance(text, str) else doc.text
