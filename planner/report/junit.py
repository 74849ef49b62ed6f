"""JUnit XML for CI test reports: fleets (a suite per image, a case per host) and
workloads (a suite per workload, a case per eligible node); text is escaped as for a
terminal (:func:`~planner.report.layout.safe`), which also keeps out every character
XML 1.0 forbids (controls, lone surrogates, U+FFFE and U+FFFF), so expat reads it."""

from __future__ import annotations

from typing import TYPE_CHECKING
from xml.etree import ElementTree

from planner.app.fleet import FleetReport
from planner.app.rollout import Rollout
from planner.report.layout import safe
from planner.report.rows import cell, workload_problems
from planner.workloads.check import WorkloadReport

if TYPE_CHECKING:
    from planner.report.formats import RenderOptions

__all__ = ["fleet_junit", "workload_junit"]


def fleet_junit(report: FleetReport, options: RenderOptions | None = None) -> str:
    """JUnit XML: one test suite per image, one test case per host (text escaped as for a terminal)."""
    root = ElementTree.Element(
        "testsuites",
        name="pull-planner check",
        tests=str(len(report.pairs)),
        failures=str(len(report.failures)),
    )
    for image in report.images:
        pairs = [p for p in report.pairs if p.image == image]
        suite = ElementTree.SubElement(
            root,
            "testsuite",
            name=safe(image),
            tests=str(len(pairs)),
            failures=str(sum(not p.ok for p in pairs)),
            skipped=str(sum(p.status == "allowed" for p in pairs)),
        )
        for pair in pairs:
            case = ElementTree.SubElement(
                suite,
                "testcase",
                classname=safe(image),
                name=f"{safe(pair.host.name)} ({safe(pair.host.platform.describe())})",
            )
            route = pair.resolution.route
            if pair.resolution.endpoint:
                properties = ElementTree.SubElement(case, "properties")
                shown = [("endpoint", pair.resolution.endpoint)]
                if route is not None:
                    shown += [("registry_config", route.origin or route.config)]
                    shown += [("fallbacks", ", ".join(route.fallbacks))] if route.fallbacks else []
                for key, value in shown:
                    ElementTree.SubElement(properties, "property", name=key, value=safe(value))
            if pair.status in ("no-image", "will-not-run", "broken"):
                problem = safe(pair.problem)  # control characters are not legal in XML 1.0
                failure = ElementTree.SubElement(case, "failure", message=problem, type=pair.status)
                failure.text = problem
            elif pair.status == "allowed":
                ElementTree.SubElement(case, "skipped", message=f"allowed: {safe(pair.problem)}")
            out = ElementTree.SubElement(case, "system-out")
            selected = pair.resolution.selected
            details = [f"rules: {safe(pair.host.rules.name)}"]
            if selected is not None:
                details.append(f"selected: {selected.digest} ({cell(pair)})")
            if pair.plan is not None:
                details.append(
                    f"download: {pair.plan.totals.download_bytes} bytes of {pair.plan.totals.bytes}"
                )
            out.text = "\n".join(details)
    rollout_suite(root, report.rollout)
    ElementTree.indent(root)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        + ElementTree.tostring(root, encoding="unicode")
        + "\n"
    )


def workload_junit(report: WorkloadReport, options: RenderOptions | None = None) -> str:
    """JUnit XML: one test suite per workload (``KIND/NAMESPACE/NAME``), one test case per
    eligible node; a workload with no eligible node has one failing case."""
    cases = sum(max(1, len(r.nodes)) for r in report.results)
    failures = sum(len(r.failures) if r.nodes else int(r.failed) for r in report.results)
    root = ElementTree.Element(
        "testsuites", name="pull-planner check", tests=str(cases), failures=str(failures)
    )
    for result in report.results:
        name = safe(result.workload.id)
        suite = ElementTree.SubElement(
            root,
            "testsuite",
            name=name,
            tests=str(max(1, len(result.nodes))),
            failures=str(len(result.failures) if result.nodes else int(result.failed)),
            skipped=str(sum(n.status == "allowed" for n in result.nodes) + int(result.allowed)),
        )
        if not result.nodes:
            case = ElementTree.SubElement(suite, "testcase", classname=name, name="(scheduling)")
            message = safe(workload_problems(result)[0][1])
            if result.allowed:
                ElementTree.SubElement(case, "skipped", message=f"allowed: {message}")
                continue
            failure = ElementTree.SubElement(case, "failure", message=message, type="unschedulable")
            failure.text = message
            continue
        for node in result.nodes:
            case = ElementTree.SubElement(
                suite,
                "testcase",
                classname=name,
                name=f"{safe(node.host.name)} ({safe(node.host.platform.describe())})",
            )
            text = "; ".join(f"{p.subject}: {p.reason}" for p in node.problems)
            if node.status in ("no-image", "will-not-run", "broken"):
                failure = ElementTree.SubElement(
                    case, "failure", message=safe(text), type=node.status
                )
                failure.text = safe(text)
            elif node.status == "allowed":
                ElementTree.SubElement(case, "skipped", message=f"allowed: {safe(text)}")
            out = ElementTree.SubElement(case, "system-out")
            details = [f"rules: {safe(node.host.rules.name)}"]
            if node.download_bytes is not None:
                details.append(f"download: {node.download_bytes} bytes")
            out.text = "\n".join(details)
    rollout_suite(root, report.rollout)
    ElementTree.indent(root)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        + ElementTree.tostring(root, encoding="unicode")
        + "\n"
    )


def rollout_suite(root: ElementTree.Element, rollout: Rollout | None) -> None:
    """A ``rollout cost`` suite: one case per (egress, registry) with a limit, failing when
    the limit refuses some of its requests."""
    if rollout is None:
        return
    judged = [row for row in rollout.rows if row.limit is not None]
    if not judged:
        return
    suite = ElementTree.SubElement(
        root,
        "testsuite",
        name="rollout cost",
        tests=str(len(judged)),
        failures=str(len(rollout.failures)),
    )
    for row in judged:
        case = ElementTree.SubElement(
            suite,
            "testcase",
            classname="rollout cost",
            name=safe(f"{row.registry} from {row.egress or '(one egress)'}"),
        )
        if row.refused:
            message = safe(row.sentence())
            failure = ElementTree.SubElement(case, "failure", message=message, type="rate-limit")
            failure.text = message
        out = ElementTree.SubElement(case, "system-out")
        out.text = safe(row.sentence())
    root.set("tests", str(int(root.get("tests", "0")) + len(judged)))
    root.set("failures", str(int(root.get("failures", "0")) + len(rollout.failures)))
