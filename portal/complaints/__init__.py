"""The awarding body's complaints: public pages (routes.py: the two routes explained, the direct complaint form,
tracking of direct cases), the case queue and clocks (queries.py) and forms (forms.py). Staff pages are in
portal/admin/complaints.py; the rules live in tenants/complaints/ (SPEC §5.3).
"""
