"""The demonstration data of `make run`: an awarding-body admin, two centres, one application."""
from __future__ import annotations

from datetime import timedelta

from portal.auth.models import AccountStatus, Role, RoleGrant, User
from portal.auth.passwords import hash_password
from portal.db import commit, utcnow
from portal.extensions import db
from portal.workdays import Nation
from tenants import services as centres
from tenants.learners.models import Learner
from tenants.staff import services as staff

CENTRES = [
    dict(name="Northgate Training Ltd", nation=Nation.ENGLAND, scottish_public_body=False,
         address="1 Northgate, Leeds LS1 4AP", contact_name="Priya Shah", contact_email="priya@northgate.example",
         qualifications_sought="ILM Leadership & Management levels 3 and 5", slug="northgate",
         number="100001", qc=("Priya Shah", "qc@northgate.example"),
         staff=("Tom Baker", "tom@northgate.example"), pending=("Ana Lopes", "ana@northgate.example")),
    dict(name="Fife College of Leadership", nation=Nation.SCOTLAND, scottish_public_body=True,
         address="Pittsburgh Road, Dunfermline KY11 8DY", contact_name="Iain Murray",
         contact_email="iain@fife.example", qualifications_sought="ILM Coaching & Mentoring 8585",
         slug="fife-college", number="100002", qc=("Iain Murray", "qc@fife.example"),
         staff=("Morag Reid", "morag@fife.example"), pending=("Callum Ross", "callum@fife.example")),
]


def _activate(user: User, password: str) -> None:
    user.status, user.password_hash = AccountStatus.ACTIVE, hash_password(password)


def seed_demo(password: str) -> None:
    """Create the demo through the same services the portal uses (so the audit log and outbox fill up)."""
    admin = User(email="admin@awarding-body.example", name="Alex Morgan", job_title="Platform administrator",
                 status=AccountStatus.ACTIVE, password_hash=hash_password(password),
                 role_grants=[RoleGrant(role=role) for role in Role])
    db.session.add(admin)
    db.session.flush()
    for spec in CENTRES:
        centre = centres.submit_application(
            name=spec["name"], nation=spec["nation"], scottish_public_body=spec["scottish_public_body"],
            address=spec["address"], contact_name=spec["contact_name"], contact_email=spec["contact_email"],
            qualifications_sought=spec["qualifications_sought"])
        centre.applied_at = utcnow() - timedelta(days=30)
        qc = centres.approve_application(centre, slug=spec["slug"], centre_number=spec["number"],
                                         quality_contact_name=spec["qc"][0], quality_contact_email=spec["qc"][1],
                                         by=admin)
        _activate(qc, password)
        member = staff.request_staff_account(centre, name=spec["staff"][0], email=spec["staff"][1],
                                             job_title="Tutor", requested_by=qc)
        staff.approve_staff_account(centre, member, by=qc)
        _activate(member, password)
        staff.request_staff_account(centre, name=spec["pending"][0], email=spec["pending"][1],
                                    job_title="Assessor", requested_by=member)
        db.session.add(Learner(centre_id=centre.id, first_name="Sam", last_name="Smith",
                               email=f"sam.smith@{spec['slug']}-learner.example", enrolment_number="ABC123",
                               qualification="ILM Level 5 Certificate in Leadership and Management"))
    centres.submit_application(
        name="Harbour Skills CIC", nation=Nation.NORTHERN_IRELAND, scottish_public_body=False,
        address="12 Donegall Quay, Belfast BT1 3EA", contact_name="Niamh Kelly",
        contact_email="niamh@harbour.example", qualifications_sought="ILM Leadership & Management level 3")
    commit()
