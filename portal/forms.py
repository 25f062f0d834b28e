"""Form pieces shared by every area, and the input hygiene every form of the portal gets."""
import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, MultipleFileField
from werkzeug.datastructures import FileStorage
from wtforms import DateField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectFieldBase
from wtforms.validators import DataRequired, Email, Length, Optional, StopValidation


class ConfirmForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class ReasonForm(FlaskForm):
    """A decision that needs a reason (declining, suspending, closing)."""

    reason = TextAreaField("Reason", validators=[DataRequired("Give a reason."), Length(max=500)])


def strip(value):
    """A field filter: spaces at either end are never meant (a pasted address, a name copied from a list)."""
    return value.strip() if isinstance(value, str) else value


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms 3.3 wants them (tuples are deprecated)."""
    return [SelectChoice(value, label) for value, label in pairs]


def id_or_none(value):
    """`coerce=` for a select of records: the id, or None for the empty choice (then DataRequired says why)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def assign_choices(field, people, current_id: int | None) -> None:
    """Fill an "Assign to" select with `people` ((id, label) pairs). Nobody assigned yet: an empty first choice,
    so the page never looks as if the first person were assigned; otherwise the current person is selected."""
    field.choices = choices(([("", "Choose a person")] if current_id is None else []) + list(people))
    if field.data is None and current_id is not None:
        field.data = current_id


def email_field(label: str = "Email address", **kwargs) -> StringField:
    return StringField(label, filters=[strip], validators=[DataRequired("Enter an email address."),
                                          Email("Enter an email address like name@example.org.",
                                                check_deliverability=False),
                                          Length(max=254)],
                       render_kw={"autocomplete": "email", "spellcheck": "false"}, **kwargs)


def name_field(label: str = "Full name", message: str = "Enter the person's full name.", **kwargs) -> StringField:
    return StringField(label, validators=[DataRequired(message), Length(max=120)],
                       render_kw={"autocomplete": "name"}, **kwargs)


@dataclass(frozen=True)
class LogFilters:
    """What a person narrows a log to (the audit log, the outbox): who, which centre, which event, which days."""

    person: str = ""
    centre_id: int | None = None
    event: str = ""
    since: date | None = None
    until: date | None = None


class LogFilterForm(FlaskForm):
    """GET filters of a log (the audit log, the outbox): who, which centre, which event, from and to which day.
    The page fills in the centre and event choices (a centre's own log has no centre filter)."""

    class Meta:
        csrf = False

    person = StringField("Person", filters=[strip], validators=[Optional(), Length(max=100)],
                         description="Name or email address")
    centre = SelectField("Centre", coerce=id_or_none, validators=[Optional()])
    event = SelectField("Event", validators=[Optional()])
    since = DateField("From", validators=[Optional()])
    until = DateField("To", validators=[Optional()])

    def log_filters(self):
        """The filters as the query takes them; a field with an error is left out."""
        def ok(field):
            return field.data if field is not None and not field.errors else None

        return LogFilters(person=ok(self.person) or "", centre_id=ok(getattr(self, "centre", None)),
                          event=ok(self.event) or "", since=ok(self.since), until=ok(self.until))


def apply_refusal(form: FlaskForm, refused) -> None:
    """Show a service's refusal beside its field (or at the top of the form)."""
    field = getattr(form, refused.field, None) if refused.field else None
    if field is not None:
        field.errors = [*field.errors, refused.message]
    else:
        form.form_errors.append(refused.message)


# --- hostile characters: every field of every form (see `_bind_field` below) --------------------------------

# C0 controls (tab, newline and carriage return aside), DEL and C1 controls: never typed on purpose, and NUL
# is refused by PostgreSQL. Bidi embeddings, overrides and isolates let a name shown to others read
# backwards ("invoice\u202Efdp.exe"); an ordinary left-to-right or right-to-left mark (U+200E/F) stays.
CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
BIDI_CONTROLS = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
CONTROLS_MESSAGE = ("This answer had hidden control characters in it (they can come from copying out of another "
                    "program). We have taken them out: check it and send the form again.")
# Programs a file name must never claim to be, anywhere in it ("report.exe.docx" too).
EXECUTABLE_EXTENSIONS = frozenset({
    "app", "apk", "bat", "cmd", "com", "cpl", "dll", "dmg", "exe", "gadget", "hta", "jar", "js", "jse", "lnk",
    "msc", "msi", "msp", "pif", "ps1", "psm1", "reg", "scr", "sh", "vb", "vbe", "vbs", "wsf", "wsh"})


def clean_text(value: str, *, multiline: bool = False) -> str:
    """`value` without control characters or bidi controls (a form feed or vertical tab in a text box is a
    line break)."""
    if multiline:
        value = value.replace("\x0b", "\n").replace("\x0c", "\n")
    return BIDI_CONTROLS.sub("", CONTROLS.sub("", value))


def clean_filename(name: str) -> str:
    """An uploaded file's name as it may be stored and shown: NFC, the last path part only, no control or bidi
    characters, no leading dots or spaces, at most 200 characters (keeping the extension)."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[/\\]", name)[-1]
    name = BIDI_CONTROLS.sub("", CONTROLS.sub("", name)).strip().lstrip(". ")
    stem, dot, extension = name.rpartition(".")
    if dot and len(extension) <= 10 and len(name) > 200:
        return stem[: 200 - len(extension) - 1] + "." + extension
    return name[:200]


def executable_extension(name: str) -> str | None:
    """The program extension in file name `name` (".exe" in "notes.exe" or "notes.exe.pdf"), if there is one."""
    parts = name.lower().split(".")[1:][-2:]
    return next((f".{part.strip()}" for part in parts if part.strip() in EXECUTABLE_EXTENSIONS), None)


class _Hygiene:
    """The filter and first validator added to one bound field: clean what came in, then say so once."""

    def __init__(self, multiline: bool):
        self.multiline = multiline
        self.removed = False
        self.executable: str | None = None

    def filter(self, data):
        if isinstance(data, str):
            cleaned = clean_text(data, multiline=self.multiline)
            self.removed = self.removed or cleaned != data
            return cleaned
        if isinstance(data, list):
            return [self.filter(item) for item in data]
        if isinstance(data, FileStorage) and data.filename:
            data.filename = clean_filename(data.filename)
            self.executable = self.executable or executable_extension(data.filename)
        return data

    def __call__(self, form, field):
        if self.executable:
            field.errors.append(f"Files with the extension {self.executable} cannot be uploaded: upload Word, PDF "
                                "or image files only.")
            raise StopValidation()
        if self.removed:
            raise StopValidation(CONTROLS_MESSAGE)


def length_message(label: str, limit: int) -> str:
    """A length error that names its field (GOV.UK: "[whatever it is] must be [number] characters or fewer")."""
    name = re.sub(r"\s*\(optional\)\s*$", "", label.strip())
    if name.endswith("?"):
        return f"Answer “{name}” in {limit:,} characters or fewer"
    return f"{name} must be {limit:,} characters or fewer"


def max_length(field) -> int | None:
    """The most characters `field` accepts (its Length validator's max), if it says."""
    return next((validator.max for validator in field.validators
                 if isinstance(validator, Length) and validator.max and validator.max > 0), None)


def _named_lengths(field) -> None:
    """Length validators that kept WTForms' own message ("Field cannot be longer than…") name the field instead.
    The form class's validator is shared by every form made from it: the field gets its own copy."""
    field.validators = [Length(validator.min, validator.max, length_message(field.label.text, validator.max))
                        if isinstance(validator, Length) and validator.message is None and validator.max > 0
                        else validator for validator in field.validators]


def _bind_field(meta, form, unbound_field, options):
    """Bind a field as WTForms does, then give it the portal's input hygiene: control characters (NUL among
    them) and bidi controls are taken out of every text answer, file names are normalised and program
    extensions refused — at the form layer, before anything reaches a service or the database. A length
    limit's error names the field."""
    field = unbound_field.bind(form=form, **options)
    if isinstance(field, StringField | FileField | MultipleFileField | SelectFieldBase):
        _named_lengths(field)
        hygiene = _Hygiene(multiline=isinstance(field, TextAreaField))
        field.filters = (hygiene.filter, *field.filters)
        field.validators = [hygiene, *field.validators]
    return field


FlaskForm.Meta.bind_field = _bind_field
