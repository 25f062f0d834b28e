"""Where a complainant can go after the awarding body's final stage (SPEC §5.3, ILM policy "Further
Information").

- The qualification's regulator, by the centre's nation: Ofqual (England), Qualifications Wales,
  CCEA (Northern Ireland), SQA (Scotland: Scottish vocational qualifications).
- Learners at a Scottish public-body centre (colleges, councils) can also go to the Scottish Public
  Services Ombudsman once the centre's process is exhausted, normally within 12 months; the SPSO does
  not consider academic judgements (those are appeals).
- A complaint only about a Scottish public-body centre's own staff goes from the centre straight to the
  SPSO: the awarding body has no stage in it.
- Never the SPSO for a complaint about the awarding body's own products or services (a certificate, a
  qualification): the SPSO hears complaints about the Scottish public body, not about the awarding body.
"""
from __future__ import annotations

from dataclasses import dataclass

from portal.workdays import Nation
from tenants.complaints.models import Route, Subject


@dataclass(frozen=True)
class Regulator:
    code: str
    name: str
    url: str
    note: str


OFQUAL = Regulator("ofqual", "Ofqual", "https://www.gov.uk/government/organisations/ofqual",
                   "For qualifications Ofqual regulates, once the awarding body's complaints procedure is exhausted.")
QUALIFICATIONS_WALES = Regulator(
    "qualifications_wales", "Qualifications Wales", "https://qualifications.wales/",
    "For qualifications Qualifications Wales regulates, once the awarding body's procedure is exhausted.")
CCEA = Regulator("ccea", "CCEA (Council for the Curriculum, Examinations and Assessment)", "https://ccea.org.uk/",
                 "For qualifications CCEA regulates in Northern Ireland, once the awarding body's procedure is "
                 "exhausted.")
SQA = Regulator("sqa", "SQA (Scottish Qualifications Authority)", "https://www.sqa.org.uk/",
                "Learners on a Scottish Vocational Qualification can complain to the regulator, SQA, if they remain "
                "unhappy with the centre's and the awarding body's decisions.")
SPSO = Regulator("spso", "Scottish Public Services Ombudsman (SPSO)", "https://www.spso.org.uk/",
                 "Your centre is a Scottish public body: once its complaints process is exhausted you can go to the "
                 "SPSO, normally within 12 months. The SPSO does not consider academic judgements such as an "
                 "assessment result — those are appeals.")

BY_NATION = {Nation.ENGLAND: OFQUAL, Nation.WALES: QUALIFICATIONS_WALES, Nation.NORTHERN_IRELAND: CCEA,
             Nation.SCOTLAND: SQA}
BY_CODE = {r.code: r for r in (OFQUAL, QUALIFICATIONS_WALES, CCEA, SQA, SPSO)}


def only_about_public_body_staff(nation: Nation, public_body: bool, about_staff_only: bool) -> bool:
    """True when the route after the centre is the SPSO and not the awarding body."""
    return nation is Nation.SCOTLAND and public_body and about_staff_only


def regulators_after_final_stage(nation: Nation | None, public_body: bool) -> list[Regulator]:
    """Who the complainant is signposted to after the awarding body's final stage, most relevant first.

    With no centre (a direct complaint from the public) the awarding body's home regulator, Ofqual, applies.
    """
    regulators = [BY_NATION[nation or Nation.ENGLAND]]
    if nation is Nation.SCOTLAND and public_body:
        regulators.append(SPSO)
    return regulators


def spso_applies(complaint) -> bool:
    """Whether the SPSO can hear this case once the centre's process is exhausted.

    Only on the learner route at a Scottish public-body centre: it hears complaints about a Scottish public body
    from the people it serves (on the direct route the complainant is the centre itself, or a member of the public
    with no centre), and never a complaint about the awarding body's own products or services.
    """
    centre = complaint.centre
    return bool(centre is not None and centre.nation is Nation.SCOTLAND and centre.scottish_public_body
                and complaint.route is Route.CENTRE and complaint.subject is not Subject.PRODUCT_SERVICE)


def regulators_for(complaint) -> list[Regulator]:
    """The signposting of a case after the awarding body's final stage: by the centre's nation (Ofqual with no
    centre), and the SPSO where it applies (`spso_applies`)."""
    centre = complaint.centre
    return regulators_after_final_stage(centre.nation if centre is not None else None, spso_applies(complaint))
