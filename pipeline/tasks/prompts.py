"""TriviaQA prompts of the paper's protocol (shared by the real and the synthetic world).

Open book: the evidence, then the instruction; closed book: the instruction only. The
paper's own closed-book script put the evidence in the prompt anyway; these builders make
that impossible: the closed-book builder takes no evidence argument.
"""

from __future__ import annotations

OPEN_BOOK = "{evidence}\nBased on these texts, answer these questions:\n\nQ: {question}\nA:"
CLOSED_BOOK = "Answer these questions:\n\nQ: {question}\nA:"
EVIDENCE_CHARS = 3072  # the paper truncates wiki + search context to this many characters


def closed_book_prompt(question: str) -> str:
    return CLOSED_BOOK.format(question=question)


def open_book_prompt(question: str, evidence: str) -> str:
    return OPEN_BOOK.format(question=question, evidence=evidence[:EVIDENCE_CHARS])


def template_words() -> list[str]:
    """Whitespace tokens of the templates: a word-level vocabulary must contain them."""
    text = OPEN_BOOK.format(question="", evidence="") + " " + CLOSED_BOOK.format(question="")
    return sorted(set(text.split()))


def language_tag(language: str) -> str:
    """The token that names a language (mBART's language codes play this role)."""
    return f"__{language}__"
