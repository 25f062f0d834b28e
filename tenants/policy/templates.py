"""The two starting points for a centre's complaints policy (SPEC §5.1), written as the centre's own policy.

The awarding-body model follows the awarding body's complaints policy (v3, 2017), which it offers centres
as a model; the three-stage model follows the 2/4/15 working-day shape of the CIPFA policy. Both are filled
in with the centre's own name, contact details and regulator, so a Quality contact who publishes without
editing still publishes something true. Stage targets live only in the stage rows (the prose never repeats
a number), so editing a stage can never leave the text contradicting the table.

Texts use a light format shared by the policy page and the Word download (`tenants.policy.document`):
blank lines separate paragraphs, lines starting with "- " are bullet points.
"""
from __future__ import annotations

from dataclasses import dataclass

from portal.workdays import Nation
from tenants.models import Centre
from tenants.policy.models import PolicyTemplate


@dataclass(frozen=True)
class StartingStage:
    name: str
    handler: str
    target_days: int


@dataclass(frozen=True)
class StartingPolicy:
    """Everything a fresh draft holds."""

    title: str
    introduction: str
    acknowledge_days: int
    contact_details: str
    confidentiality: str
    signposting: str
    stages: tuple[StartingStage, ...]


ACKNOWLEDGE_DAYS = 2  # both models: "acknowledged within 2 working days"

STAGES = {
    PolicyTemplate.AWARDING_BODY_MODEL: (
        StartingStage("Investigation", "Complaints officer", 8),
        StartingStage("Review", "Team leader or manager", 2),
        StartingStage("Final review", "Head of centre or a director", 10),
    ),
    PolicyTemplate.THREE_STAGE: (
        StartingStage("Front-line resolution", "The member of staff dealing with your complaint", 2),
        StartingStage("Senior manager review", "A senior manager", 4),
        StartingStage("Director's review", "The relevant director or head of centre", 15),
    ),
}

_OPENING = {
    PolicyTemplate.AWARDING_BODY_MODEL: """\
{centre} wants every learner, employer and customer to have an excellent experience with us. We welcome \
your comments, suggestions and feedback, and we want to know when something has gone wrong so that we can \
put it right.

Many concerns can be sorted out informally and quickly, so please talk first to your tutor, your assessor or \
the member of staff you have been dealing with. If you feel the problem needs to be put on a more formal \
footing, please follow the process in this policy. We aim to resolve every complaint as quickly as we can; \
some take longer to investigate fully, and if yours will, we will keep you informed.""",
    PolicyTemplate.THREE_STAGE: """\
At {centre} we aim to give everyone who deals with us the best experience possible. If you feel we have \
fallen short, please tell us as soon as you can: we will work with you to put things right, and we use \
every complaint and compliment to improve what we do.

We will always try to resolve your complaint straight away. If we cannot, we will agree the next steps and \
timescales with you and keep you informed at every step. Our process has three stages: if you are not \
satisfied with the response at one stage, you can ask for your complaint to move to the next. More complex \
complaints can take longer than our targets; when that happens we will tell you why and when to expect our \
response.""",
}

_DEFINITION = """\
A complaint is an expression of dissatisfaction with our products or services, or with the way we have \
handled a complaint, where it is clear that you expect us to find the cause of the problem and take action \
to put it right. For example:
- a lack of customer focus in the way you have been treated
- problems with our website, newsletters or other communications
- receiving the wrong product or service
- a certificate that reaches you later than we promised
- not following our own published processes or timescales
- fees, invoices or other finance matters

When you make a complaint we aim to:
- make it as easy as possible for you
- deal with it promptly, politely and, when appropriate, confidentially
- respond in the right way: with an explanation, or an apology where we have got things wrong, and by \
telling you what we have done about it
- learn from complaints and feedback, and use them to improve our service

Two kinds of concern are not complaints and follow a different process. You can still raise them with us \
in the same way, and we will make sure they reach the right people:
- an allegation of malpractice or maladministration is passed to the awarding body's regulation team, \
under its malpractice and maladministration policy
- if you disagree with an assessment decision or result, that is an enquiry or an appeal, handled under \
the appeals process rather than this policy

When you complain, please tell us as much as you can: what your complaint is about; whether it concerns \
{centre} itself or a product or service; the dates of what happened; anything you have already done to try \
to resolve it; and what you would like us to do to put things right."""

_CONFIDENTIALITY = """\
We will keep your complaint confidential. Only the people who need to be involved in investigating and \
responding to it will see the details, and if you ask us to keep your identity confidential we will do \
everything we can to respect that.

In exceptional cases the circumstances that led to a complaint make it impossible to keep it fully \
confidential: for example, when we cannot investigate without speaking to the people involved. If that \
happens, we will discuss it with you before we go any further.

If your complaint goes to the awarding body, it may need to contact us about it; it will tell you before it \
does. The awarding body may be limited in what it can tell you for contractual or confidentiality reasons.

We keep records of complaints securely and in line with data protection law. We review complaints \
regularly, without identifying the people who made them, to spot trends and improve our service."""

_ESCALATION = """\
If you are still not satisfied once you have been through every stage of our process, you can escalate \
your complaint to the awarding body. You can also escalate if we have not responded within the target time \
for the stage your complaint is at. The awarding body considers a complaint only once our process is \
exhausted, so it will ask for your complaint's reference with us: use the private link in the email we send \
when you make your complaint, which also lets you follow its progress.

If you are still not satisfied when the awarding body's own complaints process is exhausted, you can \
complain to the regulator:
- {regulator}"""

REGULATORS = {
    Nation.ENGLAND: "Ofqual, for qualifications it regulates in England: www.gov.uk/ofqual",
    Nation.WALES: "Qualifications Wales, for qualifications it regulates in Wales: www.qualifications.wales",
    Nation.NORTHERN_IRELAND: "CCEA Regulation, for qualifications it regulates in Northern Ireland: www.ccea.org.uk",
    Nation.SCOTLAND: "the Scottish Qualifications Authority (SQA), if you are registered on a Scottish "
                     "Vocational Qualification (SVQ): www.sqa.org.uk",
}

_SPSO = """\
As {centre} is a Scottish public body, you can also ask the Scottish Public Services Ombudsman (SPSO) to \
consider your complaint once you have been through every stage of our process. The SPSO is the final stage \
for complaints about public bodies in Scotland. It normally considers complaints only within 12 months of \
when you became aware of the problem, and not while the matter is before a court. The SPSO does not \
consider academic judgements, such as the outcome of an assessment: those are appeals. If your complaint is \
only about the conduct of a member of our staff, the next step after our final stage is the SPSO, not the \
awarding body. Find out more at www.spso.org.uk."""


def contact_details(centre: Centre) -> str:
    """How to reach the centre with a complaint, from what it gave in its application."""
    lines = [f"Email: {centre.contact_email} (please put \"Complaint\" in the subject line)"]
    if centre.contact_phone:
        lines.append(f"Telephone: {centre.contact_phone}")
    address = ", ".join(line.strip().rstrip(",") for line in centre.address.splitlines() if line.strip())
    lines.append(f"Post: Complaints, {centre.name}" + (f", {address}" if address else ""))
    if centre.website:
        lines.append(f"Website: {centre.website}")
    return (
        "You can make a complaint online through our page on the Centre Portal, where you can also read this "
        "policy, or contact us:\n\n" + "\n".join(lines) + "\n\n"
        "If you need help to make a complaint, or need this policy in another format, please contact us and "
        "we will make reasonable adjustments."
    )


def signposting(centre: Centre) -> str:
    """Where to go after the centre's process: the awarding body, the regulator of its nation, the SPSO."""
    text = _ESCALATION.format(regulator=REGULATORS[centre.nation])
    if centre.scottish_public_body:
        text += "\n\n" + _SPSO.format(centre=centre.name)
    return text


def starting_policy(centre: Centre, template: PolicyTemplate) -> StartingPolicy:
    """The draft `template` gives `centre`."""
    return StartingPolicy(
        title=f"{centre.name} complaints policy"[:200],
        introduction=_OPENING[template].format(centre=centre.name) + "\n\n" + _DEFINITION.format(centre=centre.name),
        acknowledge_days=ACKNOWLEDGE_DAYS,
        contact_details=contact_details(centre),
        confidentiality=_CONFIDENTIALITY,
        signposting=signposting(centre),
        stages=STAGES[template],
    )
