"""The file naming convention `<Initial>.<Surname>-<ENR>(<n>)` (SPEC §6.2), e.g. `S.Smith-ABC123(1)`.

Normalisation (both for the expected name and when comparing an uploaded name):
- the initial is the first letter of the learner's first name, in capitals;
- the surname is the registered last name with whitespace collapsed to one space, typographic apostrophes
  (’ ‘ ʼ) made straight (') and characters no file system accepts (/ \\ : * ? " < > |) removed; hyphens and
  apostrophes stay ("Smith-Jones", "O'Brien");
- the ENR is used as registered; the number is 1 (original) to 4.
An uploaded name matches when its stem (extension and surrounding spaces removed) equals the expected stem,
ignoring case and spaces around the '.', '-' and brackets.

Stored files never use these names on disk (tenants.submissions.storage generates them); they are the names
the files are *downloaded* under. Every such name — the centre's uploads, the awarding body's marked result sheet,
the way people refer to a submission (`assessment.reference`) and the demo's files — is made here
(`learner_stem`, `submission_stem`, `download_name`), so they cannot drift apart.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from tenants.submissions.models import FileKind

_UNSAFE = re.compile(r'[/\\:*?"<>|\x00-\x1f]')
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'"})
_EXTENSION = re.compile(r"\.(docx|docm|doc|dotx|pdf|rtf|odt|txt|pages)\s*$", re.IGNORECASE)
_NUMBER = re.compile(r"\(\s*(\d+)\s*\)$")
_AROUND_PUNCTUATION = re.compile(r"\s*([.()-])\s*")

SUFFIXES = {FileKind.ASSESSMENT: "", FileKind.AUTHENTICITY: " authenticity", FileKind.RESULT_SHEET: " result sheet",
            FileKind.APPENDIX: " appendix", FileKind.MARKED_RESULT_SHEET: " marked result sheet"}


def clean_surname(last_name: str) -> str:
    """The surname as it appears in a file name (see the module docstring)."""
    return " ".join(_UNSAFE.sub("", last_name.translate(_APOSTROPHES)).split())


def expected_stem(first_name: str, last_name: str, enrolment_number: str, number: int) -> str:
    """`S.Smith-ABC123(1)` for Sam Smith, ENR ABC123, submission 1."""
    initial = first_name.strip()[:1].upper()
    return f"{initial}.{clean_surname(last_name)}-{enrolment_number.strip()}({number})"


def learner_stem(learner, number: int) -> str:
    """The convention for a registered learner's submission `number`: THE one way every stored name starts."""
    return expected_stem(learner.first_name, learner.last_name, learner.enrolment_number, number)


def submission_stem(submission) -> str:
    """`S.Smith-ABC123(1)` for a submission: its learner and number under the convention."""
    return learner_stem(submission.learner, submission.number)


def stem_of(filename: str) -> str:
    """The file name without its folder, extension and surrounding spaces."""
    name = re.split(r"[/\\]", filename or "")[-1].strip()
    return _EXTENSION.sub("", name).strip()


def _tidy(text: str) -> str:
    """Whitespace collapsed, none around . - ( ), apostrophes straight (case kept, for explaining)."""
    return _AROUND_PUNCTUATION.sub(r"\1", " ".join(text.translate(_APOSTROPHES).split()))


def _key(text: str) -> str:
    return _tidy(text).casefold()


@dataclass(frozen=True)
class NameCheck:
    """The result of comparing an uploaded file's name with the convention."""

    given: str
    expected: str
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_name(filename: str, *, first_name: str, last_name: str, enrolment_number: str, number: int) -> NameCheck:
    """Compare `filename` with the convention for this learner and number, explaining each mismatch."""
    expected = expected_stem(first_name, last_name, enrolment_number, number)
    given = stem_of(filename)
    if _key(given) == _key(expected):
        return NameCheck(given, expected)
    return NameCheck(given, expected, _explain(_tidy(given), first_name, last_name, enrolment_number, number))


def _explain(given: str, first_name: str, last_name: str, enr: str, number: int) -> list[str]:
    """Split `given` (tidied, case kept) into initial, surname, ENR and number and say which differ."""
    problems = []
    match = _NUMBER.search(given)
    if match is None:
        problems.append(f"it does not end with the submission number in brackets, ({number})")
        rest = given
    else:
        rest = given[:match.start()]
        if int(match.group(1)) != number:
            problems.append(f"the submission number is ({match.group(1)}) but this is submission ({number})")
    enr_key = _key(enr)
    if rest.casefold().endswith("-" + enr_key):
        rest = rest[:-len(enr_key) - 1]
    elif "-" in rest:
        rest, given_enr = rest.rsplit("-", 1)
        problems.append(f"the enrolment number is {given_enr or 'missing'} but the learner's is {enr}")
    else:
        problems.append(f"the enrolment number {enr} is missing (it follows a hyphen after the surname)")
    initial, dot, surname = rest.partition(".")
    if not dot:
        problems.append("the initial and surname should be written Initial.Surname")
    else:
        if initial.casefold() != first_name.strip()[:1].casefold():
            problems.append(f"the initial is {initial.upper() or 'missing'} but the learner's first name is "
                            f"{first_name.strip()}")
        if surname.casefold() != _key(clean_surname(last_name)):
            problems.append(f"the surname is {surname or 'missing'} but the learner's is {clean_surname(last_name)}")
    return problems or ["it differs from the convention in spacing or punctuation"]


def download_name(stem: str, kind: FileKind, extension: str, position: int = 0) -> str:
    """The name a stored file is downloaded under: `S.Smith-ABC123(1) result sheet.docx`; appendices numbered."""
    suffix = SUFFIXES[kind] + (f" {position}" if kind is FileKind.APPENDIX and position else "")
    return f"{stem}{suffix}{extension}"
