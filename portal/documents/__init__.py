"""Reading uploaded documents: word counts (Word's rules), words by font colour, and text checks.

    from portal.documents import count_words, document_text_contains, RefusedDocument

    try:
        count = count_words(upload.stream)        # a path or a seekable binary file
    except RefusedDocument as refusal:
        flash(refusal.reason)                     # written for a person, says what to do
    count.total, count.as_dict(), count.by_colour["blue"]
    if not count.by_colour[SUBMISSION_COLOURS[submission.number]]: warn("no text in the expected colour")

See wordcount.py for the counting rules, ooxml.py for what makes a file safe to read, and styles.py for
how font colours are resolved and named.
"""
from portal.documents.ooxml import DEFAULT_LIMITS, RefusedDocument, SafetyLimits
from portal.documents.styles import COLOURS
from portal.documents.wordcount import (
    COUNTED,
    REPORTED,
    SUBMISSION_COLOURS,
    WordCount,
    count_words,
    document_text,
    document_text_contains,
)

__all__ = [
    "COLOURS", "COUNTED", "DEFAULT_LIMITS", "REPORTED", "RefusedDocument", "SUBMISSION_COLOURS", "SafetyLimits",
    "WordCount",
    "count_words", "document_text", "document_text_contains",
]
