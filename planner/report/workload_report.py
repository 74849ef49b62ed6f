"""Render workload checks: the text matrix, Markdown, JUnit XML and the suggested patches."""

from __future__ import annotations

from xml.etree import ElementTree

from planner.model.text import plural
from planner.model.units import human_size
from planner.report.fleet_report import MARK
from planner.report.layout import Style, aligned, md_code, md_text, safe, wrap
from planner.workloads.check import WorkloadReport, WorkloadResult
from planner.workloads.model import NodePool, NodeResult
from planner.workloads.scheduling import unfit_reason

__all__ = ["no_node", "workload_junit", "workload_markdown", "workload_patches", "workload_text"]

IMMUTABLE_POD_SPEC = ("Pod", "Job")
"""Kinds whose pod template the API server does not let change (ValidatePodUpdate;
ValidateJobSpecUpdate: spec.template is immutable)."""

_RANK = {"ok": 0, "allowed": 1, "will-not-run": 2, "no-image": 3}


def _by_pool(report: WorkloadReport, result: WorkloadResult) -> list[list[NodeResult]]:
    """The workload's eligible nodes, per node pool (in :attr:`WorkloadReport.pools` order:
    :attr:`WorkloadResult.pools`)."""
    return [list(pool.nodes) for pool in result.pools]


def _cell(nodes: list[NodeResult], pool: NodePool, compact: bool) -> tuple[str, str]:
    """(status, text): the worst status over the pool's eligible nodes and the largest
    download; ('-', '-') when none is eligible."""
    if not nodes:
        return "-", "-"
    worst = max(nodes, key=lambda n: _RANK[n.status])
    text = MARK[worst.status]
    if worst.status == "ok" and not compact:
        text += " " + human_size(max(n.download_bytes for n in nodes))
    if len(nodes) < len(pool.hosts):
        text += f" {len(nodes)}/{len(pool.hosts)}"
    return worst.status, text


def _matrix(report: WorkloadReport, headers: list[str], compact: bool) -> list[list[str]]:
    rows = [["workload", *headers]]
    for result in report.results:
        if not result.nodes:
            rows.append([safe(result.workload.id), *("NO NODE" for _ in report.pools)])
            continue
        cells = [
            _cell(nodes, pool, compact)[1]
            for nodes, pool in zip(_by_pool(report, result), report.pools, strict=True)
        ]
        rows.append([safe(result.workload.id), *cells])
    return rows


def _who(nodes: list[NodeResult]) -> str:
    first = safe(nodes[0].host.name)
    return f"{first} and {plural(len(nodes) - 1, 'more node')}" if len(nodes) > 1 else first


def no_node(result: WorkloadResult) -> str:
    """``no eligible node (4 nodes: …; 2 nodes: …)``: why each node is not eligible."""
    why = "; ".join(
        f"{plural(len(names), 'node')}: {unfit_reason(unfit)}" for unfit, names in result.ineligible
    )
    return f"no eligible node ({why or 'no nodes'})"


def problems(result: WorkloadResult) -> list[tuple[str, str]]:
    """(status word, one line) per distinct problem of a workload: nodes with the same
    problems share a line."""
    if not result.nodes:
        word = "allowed" if result.allowed else "FAIL"
        return [(word, f"{result.workload.id}: {no_node(result)}")]
    groups: dict[tuple[str, tuple[str, ...]], list[NodeResult]] = {}
    for node in result.nodes:
        if node.problems:
            reasons = tuple(f"{p.subject}: {p.reason}" for p in node.problems)
            groups.setdefault((node.status, reasons), []).append(node)
    out = []
    for (status, reasons), nodes in groups.items():
        word = "allowed" if status == "allowed" else "FAIL"
        for reason in reasons:
            out.append((word, f"{result.workload.id} on {_who(nodes)}: {reason}"))
    return out


def _footer(report: WorkloadReport) -> list[str]:
    lines = []
    for pool in report.pools:
        count = plural(len(pool.hosts), "node")
        lines.append(f"{pool.name} ({count}): downloads {human_size(report.pool_bytes(pool))}")
    lines.append(
        f"cluster: {human_size(report.total_bytes)} downloaded by"
        f" {plural(len(report.hosts), 'node')}, if every eligible node starts every pod;"
        f" a pull-through mirror fetches {human_size(report.unique_bytes)} once"
    )
    return lines


def _skipped(report: WorkloadReport) -> list[str]:
    if not report.skipped:
        return []
    listed = ", ".join(f"{s.what} ({s.reason})" for s in report.skipped)
    return [f"skipped: {listed}"]


def workload_text(report: WorkloadReport, width: int = 80, style: Style | None = None) -> str:
    """One row per workload, one column per node pool, then the problems and the figures.

    A cell is the worst status over the pool's eligible nodes and the largest
    download among them (``N/M`` when only N of its M nodes are eligible; ``-``
    when none is; ``NO NODE`` across the row when no node at all is). When the
    matrix is wider than ``width``, pools are numbered with a legend above; when
    still too wide, cells show the status only; when still too wide, each
    workload's name stands on its own line above its cells.
    """
    paint = style or Style(None)
    names = [safe(pool.name) for pool in report.pools]
    lines = aligned(_matrix(report, names, False))
    legend: list[str] = []
    if max(map(len, lines)) > width:
        numbered = [f"[{i}]" for i in range(1, len(names) + 1)]
        legend = [f"[{i}] {name}" for i, name in enumerate(names, start=1)]
        lines = aligned(_matrix(report, numbered, False))
        if max(map(len, lines)) > width:
            matrix = _matrix(report, numbered, True)
            lines = aligned(matrix)
            if max(map(len, lines)) > width:
                cells = aligned([row[1:] for row in matrix])
                lines = [f"workload\n  {cells[0]}"] + [
                    f"{row[0]}\n  {line}" for row, line in zip(matrix[1:], cells[1:], strict=True)
                ]
    out = [*legend, *([""] if legend else []), *lines]
    found = [line for result in report.results for line in problems(result)]
    if found:
        out.append("")
        for word, text in found:
            wrapped = wrap(f"{word}  {safe(text)}", width, " " * 6)
            out += [paint("fail", line) if word == "FAIL" else line for line in wrapped]
    out.append("")
    for line in _footer(report) + _skipped(report):
        out += wrap(safe(line), width, "  ")
    failed = len(report.failures)
    plain = "release gate: closed" if failed else "release gate: open"
    gate = paint("fail" if failed else "ok", plain)
    summary = f"{plural(len(report.results), 'workload')}, {failed} failed,"
    fits = len(summary) + 1 + len(plain) <= width
    out += [f"{summary} {gate}"] if fits else [summary, gate]
    return "\n".join(out) + "\n"


def workload_patches(report: WorkloadReport) -> str:
    """The suggested fixes as YAML: a strategic merge patch per workload an affinity fixes,
    with the images that need more platforms as comments."""
    import yaml

    parts = []
    for result in report.failures:
        suggestion = result.suggestion
        if suggestion is None:
            continue
        w = result.workload
        head = [f"# {safe(w.id)}"]
        patch = suggestion.patch(w.pod_spec)
        if patch is not None:
            head.append(f"# runs on {plural(len(suggestion.keeps), 'node')} with this affinity:")
            if w.kind in IMMUTABLE_POD_SPEC:  # the API server refuses a patch of it
                head.append(f"#   (a {w.kind}'s pod spec cannot change: edit it and re-create)")
            else:
                head.append(
                    f"#   kubectl patch {w.kind.lower()} {safe(w.name)} -n {safe(w.namespace)}"
                    " --patch-file PATCH.yaml"
                )
        elif not result.nodes:
            head.append("# no eligible node: nothing to patch")
        elif suggestion.builds:
            head.append("# no eligible node runs every container: build the images below")
        else:
            head.append(
                "# no eligible node runs it, and no image build would help: the pod's"
                " spec.os.name names an OS none of its nodes run; select nodes of that OS"
            )
        for build in suggestion.builds:
            head.append(
                f"# build {safe(build.image)} (container {safe(build.container)}) for: "
                + ", ".join(safe(p) for p in build.platforms)
            )
        body = yaml.safe_dump(patch, sort_keys=False) if patch is not None else ""
        parts.append("\n".join(head) + "\n" + body)
    return "---\n".join(parts)


def workload_markdown(report: WorkloadReport) -> str:
    """A Markdown report (CI job summaries): the matrix, the problems, the download figures."""
    failed = len(report.failures)
    icon = {"ok": "✅", "allowed": "⚠️", "no-image": "❌", "will-not-run": "❌", "-": "·"}
    lines = [
        "## pull-planner check",
        "",
        f"**{plural(len(report.results), 'workload')}, {failed} failed**"
        f" ({plural(len(report.hosts), 'node')}, {plural(len(report.pools), 'node pool')})",
        "",
        "| workload | " + " | ".join(md_text(p.name) for p in report.pools) + " |",
        "|---|" + "---|" * len(report.pools),
    ]
    for result in report.results:
        cells = []
        for nodes, pool in zip(_by_pool(report, result), report.pools, strict=True):
            status, text = _cell(nodes, pool, False)
            if not result.nodes:
                status, text = "no-image", "NO NODE"
            cells.append(f"{icon[status]} {md_text(text)}")
        lines.append(f"| {md_code(result.workload.id)} | " + " | ".join(cells) + " |")
    found = [line for result in report.results for line in problems(result)]
    if found:
        lines += ["", "### Problems", ""]
        lines += [f"- {'**fails**' if w == 'FAIL' else 'allowed'}: {md_text(t)}" for w, t in found]
    lines += ["", "### Download sizes", ""]
    lines += [f"- {md_text(line)}" for line in _footer(report)]
    if report.skipped:
        lines += ["", "### Skipped", ""]
        lines += [
            f"- {md_text(s.what)} ({md_text(s.place)}): {md_text(s.reason)}" for s in report.skipped
        ]
    return "\n".join(lines) + "\n"


def workload_junit(report: WorkloadReport) -> str:
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
            message = safe(problems(result)[0][1])
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
            if node.status in ("no-image", "will-not-run"):
                failure = ElementTree.SubElement(
                    case, "failure", message=safe(text), type=node.status
                )
                failure.text = safe(text)
            elif node.status == "allowed":
                ElementTree.SubElement(case, "skipped", message=f"allowed: {safe(text)}")
            out = ElementTree.SubElement(case, "system-out")
            out.text = "\n".join(
                [f"rules: {node.host.rules.name}", f"download: {node.download_bytes} bytes"]
            )
    ElementTree.indent(root)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        + ElementTree.tostring(root, encoding="unicode")
        + "\n"
    )
