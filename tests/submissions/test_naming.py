"""SPEC §6.2: the naming convention <Initial>.<Surname>-<ENR>(<n>), its explanations and download names."""
import pytest

from tenants.submissions.models import FileKind
from tenants.submissions.naming import check_name, download_name, expected_stem

SAM = {"first_name": "Sam", "last_name": "Smith", "enrolment_number": "ABC123"}


@pytest.mark.parametrize(("first", "last", "enr", "number", "stem"), [
    ("Sam", "Smith", "ABC123", 1, "S.Smith-ABC123(1)"),
    ("sam", "smith", "ABC123", 2, "S.smith-ABC123(2)"),  # the registered spelling is kept
    ("Aoife", "O’Brien", "X9", 3, "A.O'Brien-X9(3)"),  # typographic apostrophe made straight
    ("Jo", "Smith-Jones", "E-77", 4, "J.Smith-Jones-E-77(4)"),  # hyphens kept
    ("Lea", "  van der  Berg ", "Q1", 1, "L.van der Berg-Q1(1)"),  # whitespace collapsed
    ("Max", "Bad/Name:*", "Q2", 1, "M.BadName-Q2(1)"),  # characters no file system accepts removed
])
def test_expected_stem(first, last, enr, number, stem):
    assert expected_stem(first, last, enr, number) == stem


@pytest.mark.parametrize("filename", [
    "S.Smith-ABC123(1).docx", "s.smith-abc123(1).DOCX", "  S.Smith-ABC123(1).pdf  ", "S.Smith-ABC123(1)",
    "S. Smith - ABC123 (1).docx", "C:\\Users\\tutor\\S.Smith-ABC123(1).docx",
])
def test_names_that_match(filename):
    assert check_name(filename, number=1, **SAM).ok


@pytest.mark.parametrize(("filename", "explained"), [
    ("S.Smith-ABC123(2).docx", ["the submission number is (2) but this is submission (1)"]),
    ("J.Smith-ABC123(1).docx", ["the initial is J but the learner's first name is Sam"]),
    ("S.Smyth-ABC123(1).docx", ["the surname is Smyth but the learner's is Smith"]),
    ("S.Smith-ABC124(1).docx", ["the enrolment number is ABC124 but the learner's is ABC123"]),
    ("S.Smith-ABC123.docx", ["it does not end with the submission number in brackets, (1)"]),
    ("Smith essay.docx", ["it does not end with the submission number in brackets, (1)",
                          "the enrolment number ABC123 is missing (it follows a hyphen after the surname)",
                          "the initial and surname should be written Initial.Surname"]),
])
def test_each_mismatch_is_explained_with_the_correct_name(filename, explained):
    check = check_name(filename, number=1, **SAM)
    assert not check.ok
    assert check.problems == explained
    assert check.expected == "S.Smith-ABC123(1)"


def test_hyphenated_surname_and_enr_are_split_correctly():
    person = {"first_name": "Jo", "last_name": "Smith-Jones", "enrolment_number": "E-77"}
    assert check_name("J.Smith-Jones-E-77(1).docx", number=1, **person).ok
    assert check_name("J.Smith-E-77(1).docx", number=1, **person).problems == [
        "the surname is Smith but the learner's is Smith-Jones"]


@pytest.mark.parametrize(("kind", "position", "extension", "name"), [
    (FileKind.ASSESSMENT, 0, ".docx", "S.Smith-ABC123(1).docx"),
    (FileKind.ASSESSMENT, 0, ".pdf", "S.Smith-ABC123(1).pdf"),
    (FileKind.RESULT_SHEET, 0, ".docx", "S.Smith-ABC123(1) result sheet.docx"),
    (FileKind.AUTHENTICITY, 0, ".pdf", "S.Smith-ABC123(1) authenticity.pdf"),
    (FileKind.APPENDIX, 2, ".png", "S.Smith-ABC123(1) appendix 2.png"),
])
def test_download_names(kind, position, extension, name):
    assert download_name("S.Smith-ABC123(1)", kind, extension, position) == name
