"""The house rules that keep the code easy to change (DESIGN §2, issue 8), checked on the source itself.

* Three layers, dependencies pointing one way: the platform (most of `portal/`) imports nothing above it; the
  centres (`tenants/`) import only the platform; the awarding body's area (`portal/admin`, `portal/public`,
  `portal/complaints`, `portal/invoicing`) imports both; `jobs/` is thin and may call any layer;
  `portal/__init__.py` (`create_app`) alone wires everything together. Imports inside functions count.
* No cycles between packages.
* One way to scope by centre: no module but `portal/tenancy.py` compares `centre_id` by hand.
* Every lift of the tenant safety net (`ALL_CENTRES`) says why, in a comment beside it.
"""
from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("portal", "tenants", "jobs")

PLATFORM, CENTRES, AWARDING, JOBS, COMPOSITION = "platform", "centres", "awarding body", "jobs", "create_app"
AWARDING_PACKAGES = ("portal.admin", "portal.public", "portal.complaints", "portal.invoicing", "portal.demo",
                     "portal.cli", "portal.scale")
# Which layers each layer may import. The composition root and the jobs may import everything; a worker
# process builds its app with create_app, so jobs may import the root too.
ALLOWED = {
    PLATFORM: {PLATFORM},
    CENTRES: {PLATFORM, CENTRES},
    AWARDING: {PLATFORM, CENTRES, AWARDING},
    JOBS: {PLATFORM, CENTRES, AWARDING, JOBS, COMPOSITION},
    COMPOSITION: {PLATFORM, CENTRES, AWARDING, JOBS, COMPOSITION},
}
SCOPING_MODULE = "portal.tenancy"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_modules() -> dict[str, Path]:
    """Every module of the application, by dotted name."""
    return {module_name(path): path for top in SOURCES for path in sorted((ROOT / top).rglob("*.py"))}


def layer_of(module: str) -> str:
    if module == "portal":
        return COMPOSITION
    if module == "jobs" or module.startswith("jobs."):
        return JOBS
    if module == "tenants" or module.startswith("tenants."):
        return CENTRES
    if any(module == package or module.startswith(package + ".") for package in AWARDING_PACKAGES):
        return AWARDING
    return PLATFORM


def imported_modules(source: str, module: str, known: set[str]) -> set[str]:
    """The application modules `source` imports, anywhere in the file (inside functions too)."""
    found = set()
    package = module if module in known and _is_package(module, known) else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            # `from portal import tenancy` imports the module portal.tenancy; `from portal import create_app`,
            # the package itself.
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name:
                found.add(name)
    found.discard(module)
    return found


def _is_package(module: str, known: set[str]) -> bool:
    return any(other.startswith(module + ".") for other in known)


def import_graph() -> dict[str, set[str]]:
    modules = source_modules()
    known = set(modules)
    return {module: imported_modules(path.read_text(), module, known) for module, path in modules.items()}


def layer_violations(graph: dict[str, set[str]]) -> list[str]:
    return sorted(f"{module} ({layer_of(module)}) imports {target} ({layer_of(target)})"
                  for module, targets in graph.items() for target in targets
                  if layer_of(target) not in ALLOWED[layer_of(module)])


def package_of(module: str) -> str:
    """The package a module belongs to for the cycle check: `portal.auth.models` → `portal.auth`;
    a top-level module (`portal.db`, `tenants.models`) is a package of its own."""
    parts = module.split(".")
    return ".".join(parts[:2])


def package_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Cycles between packages (strongly connected components of more than one package)."""
    edges: dict[str, set[str]] = defaultdict(set)
    for module, targets in graph.items():
        for target in targets:
            if package_of(module) != package_of(target):
                edges[package_of(module)].add(package_of(target))
    nodes = set(edges) | {target for targets in edges.values() for target in targets}
    return [sorted(component) for component in _components(nodes, edges) if len(component) > 1]


def _components(nodes, edges):
    """Tarjan's strongly connected components."""
    index, low, stack, on_stack, result, counter = {}, {}, [], set(), [], [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            result.append(component)

    for node in sorted(nodes):
        if node not in index:
            visit(node)
    return result


# --- the rules, on the real code ---------------------------------------------------------------------------

def test_dependencies_point_one_way():
    assert layer_violations(import_graph()) == []


def test_no_cycles_between_packages():
    assert package_cycles(import_graph()) == []


def test_only_create_app_registers_blueprints():
    offenders = [module for module, path in source_modules().items()
                 if module != "portal" and "app.register_blueprint(" in path.read_text()]
    assert offenders == []


def hand_written_centre_filters(source: str) -> list[int]:
    """Lines that compare a `centre_id` by hand: `==`, `!=`, `in` in Python or SQL, `.is_()`, `.in_()`... in SQL.
    (`x.centre_id is None` in Python, "an awarding-body row", is not a filter.)"""
    def is_centre_id(node) -> bool:
        return isinstance(node, ast.Attribute) and node.attr == "centre_id"

    def compares(node) -> bool:
        return (isinstance(node, ast.Compare) and not all(isinstance(op, ast.Is | ast.IsNot) for op in node.ops)
                and any(is_centre_id(side) for side in (node.left, *node.comparators)))

    def sql_operator(node) -> bool:
        return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in {"is_", "is_not", "isnot", "in_", "not_in", "notin_", "__eq__", "__ne__"}
                and is_centre_id(node.func.value))

    return sorted(node.lineno for node in ast.walk(ast.parse(source)) if compares(node) or sql_operator(node))


# Comparisons with a `centre_id` that are a relation of the domain, not the scoping of a query; each says why.
NOT_SCOPING = {
    # A conflict of interest names the centre an assessor must not mark for: matched against the submission's.
    "portal.admin.assessment_services": 1,
}


def test_one_way_to_scope_by_centre():
    """Only the scoping module compares `centre_id`: everyone else says `for_centre`, `in_centre`,
    `belongs_to`... so a forgotten or mistyped filter cannot hide in a service."""
    offenders = {module: lines for module, path in source_modules().items() if module != SCOPING_MODULE
                 if len(lines := hand_written_centre_filters(path.read_text())) != NOT_SCOPING.get(module, 0)}
    assert offenders == {}


def unexplained_safety_net_lifts(source: str) -> list[int]:
    """Lines using `ALL_CENTRES` (other than importing it) with no comment in the statement that uses it or on
    the two lines above that statement."""
    lines = source.splitlines()
    tree = ast.parse(source)
    uses = {node.lineno for node in ast.walk(tree) if isinstance(node, ast.Name) and node.id == "ALL_CENTRES"}
    statements = [node for node in ast.walk(tree) if isinstance(node, ast.stmt)]
    unexplained = []
    for line in sorted(uses):
        # The innermost statement holding the use: its first line, and the two lines above it, may say why.
        start = max((s.lineno for s in statements if s.lineno <= line <= (s.end_lineno or s.lineno)), default=line)
        if not any("#" in text for text in lines[max(start - 3, 0): line]):
            unexplained.append(line)
    return unexplained


def test_every_lift_of_the_safety_net_says_why():
    offenders = {module: lines for module, path in source_modules().items() if module != SCOPING_MODULE
                 if (lines := unexplained_safety_net_lifts(path.read_text()))}
    assert offenders == {}


# --- the checks catch what they are for ---------------------------------------------------------------------

KNOWN = {"portal", "portal.db", "portal.admin", "portal.admin.routes", "tenants", "tenants.models",
         "tenants.staff", "tenants.staff.services", "jobs", "jobs.email"}


@pytest.mark.parametrize(("module", "source", "violation"), [
    ("portal.db", "from tenants.models import Centre", "portal.db (platform) imports tenants.models (centres)"),
    ("portal.db", "def f():\n    import tenants.staff.services",
     "portal.db (platform) imports tenants.staff.services (centres)"),
    ("portal.db", "from jobs import email", "portal.db (platform) imports jobs.email (jobs)"),
    ("tenants.models", "from portal.admin.routes import bp",
     "tenants.models (centres) imports portal.admin.routes (awarding body)"),
    ("portal.db", "from .admin import routes", "portal.db (platform) imports portal.admin.routes (awarding body)"),
    ("tenants.models", "from portal import create_app", "tenants.models (centres) imports portal (create_app)"),
])
def test_a_forbidden_import_is_caught(module, source, violation):
    graph = {module: imported_modules(source, module, KNOWN)}
    assert layer_violations(graph) == [violation]


def test_allowed_imports_pass():
    graph = {"tenants.staff.services": imported_modules("from portal import db\nfrom tenants import models",
                                                         "tenants.staff.services", KNOWN),
             "portal.admin.routes": imported_modules("from tenants.staff import services", "portal.admin.routes",
                                                     KNOWN)}
    assert layer_violations(graph) == []


def test_a_cycle_between_packages_is_caught():
    graph = {"portal.db": {"tenants.models"}, "tenants.models": {"tenants.staff.services"},
             "tenants.staff.services": {"portal.db"}}
    assert package_cycles(graph) == [["portal.db", "tenants.models", "tenants.staff"]]


@pytest.mark.parametrize("source", [
    "select(X).where(X.centre_id == centre.id)",
    "if row.centre_id != centre.id:\n    pass",
    "ok = centre.id == learner.centre_id",
    "q.where(User.centre_id.is_(None))",
    "q.where(Complaint.centre_id.in_(ids))",
])
def test_a_hand_written_centre_filter_is_caught(source):
    assert hand_written_centre_filters(source) != []


def test_scoped_forms_and_constructors_are_not_filters():
    assert hand_written_centre_filters("for_centre(X, centre).where(in_centre(Y, centre))\n"
                                       "X(centre_id=centre.id)\nrow.centre_id = centre.id") == []


def test_a_silent_lift_of_the_safety_net_is_caught():
    assert unexplained_safety_net_lifts("from portal.tenancy import ALL_CENTRES\n\n\n"
                                        "q = q.execution_options(**{ALL_CENTRES: True})") == [4]
    assert unexplained_safety_net_lifts("# the awarding body's queue spans centres\n"
                                        "q = q.execution_options(**{ALL_CENTRES: True})") == []
