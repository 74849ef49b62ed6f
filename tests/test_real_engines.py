"""Differential tests: every real client Debian 12 ships, live, against its release's rules.

Every selection-table row is pushed to a real registry and pulled by skopeo 1.9.3, podman
4.3.1, containerd 1.6.20 (ctr) and Docker 20.10.24 (dockerd), each told the row's host as
``os/arch[/variant]`` (see :mod:`tests.real_clients` for how each pick is read). For each
(client, row) the entry the client pulled must be the one pull-planner picks with the rule
set for that client's release.

The rule sets are :data:`RELEASES`. A row that cannot be compared says why
(:func:`not_comparable`); a client error that is not listed there fails the test. Where a
release's platforms.Parse refuses the host string, its rule set must refuse it too.

``PULL_PLANNER_REAL_RESULTS=path.md`` writes every live result and the summary to ``path.md``.
"""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from planner import RegistryOptions, load_inventory, load_rules, resolve
from planner.hosts.records import release_number
from planner.model.errors import InvalidPlatform
from tests.helpers import require_tool
from tests.real_clients import (
    BINARIES,
    CLIENTS,
    PACKAGES,
    Docker,
    Lab,
    Outcome,
    Podman,
    client_version,
    lab_directory,
)
from tests.test_selection_tables import ROWS

RELEASES = {
    "skopeo": "skopeo@1.9.3",
    "podman": "podman@4.3.1",
    "containerd": "containerd@1.6.20",
    "docker": "docker@20.10.24+dfsg1",
}
"""The rule set for the release of each client that Debian 12 ships (Debian's docker.io is
its own build: ``docker info`` says 20.10.24+dfsg1, rules/docker.yaml ``builds``)."""

DIFFERS_TODAY: dict[tuple[str, str], tuple[int | None, int | None]] = {}
"""(client, row) -> (live pick, the release rule set's pick) where they are known to differ.

Empty: every comparable row agrees. A disagreement found later is pinned here with both
picks until the rule set is fixed; a pinned row that agrees again fails, so the list
cannot go stale."""

_INVALID_VARIANT = "platform specifier component must match"
"""What containerd 1.6's platforms.Parse (and Docker 20.10's copy) says of a "." in a variant."""
PARSE_ERROR = "parse-error"
"""A rule set's answer when the release refuses the host's platform string."""
CLIENT_ERRORS: dict[tuple[str, str], str] = {
    # containerd 1.6 does not skip an entry of unknown media type: images.Manifest takes the
    # artifact (first in platform order) and fails on it
    ("containerd", "special:artifact-media-type-skipped"): "unexpected media type",
    # dockerd 20.10 chooses the "Linux/AMD64" entry, then looks up a layer store for the
    # entry's os "Linux" (none: the store is "linux") and panics (nil pointer)
    ("docker", "linux:uppercase-entry"): "dockerd exited: panic:",
    # dockerd on Linux chooses an entry (served: the one the rule set picks), then refuses to
    # pull an image for another os
    ("docker", "linux:macos-host"): "operating system is not supported",
    ("docker", "linux:freebsd-host"): "operating system is not supported",
}
"""(client, row) -> the text of a client error that makes the row not comparable."""

WINDOWS_ON_LINUX = {
    "containerd": (
        "Windows host: containerd's Linux build matches Windows entries by os/arch/variant only"
        " (platforms.Only without the Windows os.version matcher), and ctr cannot be given the"
        " host's os.version"
    ),
    "docker": (
        "Windows host: dockerd on Linux chooses with pull_v2_unix.go (os/arch/variant only, no"
        " os.version), then refuses the Windows image"
    ),
}


def not_comparable(client: str, row_id: str, outcome: Outcome) -> str | None:
    """Why the live pick says nothing about the rule set, or None."""
    if client in WINDOWS_ON_LINUX and outcome.platform.startswith("windows/"):
        return f"{WINDOWS_ON_LINUX[client]} (live: {outcome.text()})"
    if outcome.error is not None and (client, row_id) in CLIENT_ERRORS:
        return f"the client fails: {outcome.error}"
    return None


# ------------------------------------------------------------------------------- fixtures


@dataclass(frozen=True)
class Verdict:
    client: str
    row_id: str
    rule_set: str
    outcome: Outcome
    planned: int | str | None
    why_not: str | None

    @property
    def refused_alike(self) -> bool:
        """Client and rule set both refuse the host's platform string."""
        error = self.outcome.error or ""
        return self.planned == PARSE_ERROR and _INVALID_VARIANT in error

    @property
    def kind(self) -> str:
        if self.why_not is not None:
            return "not comparable"
        if self.refused_alike:
            return "agrees"
        if self.outcome.error is not None:
            return "unexpected error"
        return "agrees" if self.outcome.position == self.planned else "disagrees"


class Judge:
    """Live results and pull-planner's picks, each computed once per session."""

    def __init__(self, lab: Lab) -> None:
        self.lab = lab
        self._planned: dict[tuple[str, str], int | str | None] = {}

    def planned(self, rule_set: str, row_id: str) -> int | str | None:
        """The entry the rule set picks, None for none, or PARSE_ERROR when it refuses the host."""
        key = (rule_set, row_id)
        if key not in self._planned:
            started = time.monotonic()
            pushed = self.lab.rows[row_id]
            try:
                result = resolve(
                    pushed.reference,
                    pushed.host,
                    load_rules(rule_set),
                    registry=RegistryOptions(use_cache=False),
                )
            except InvalidPlatform:
                self._planned[key] = PARSE_ERROR
            else:
                assert result.selection is not None
                chosen = result.selection.chosen
                self._planned[key] = chosen.position if chosen else None
            seconds = self.lab.seconds
            seconds["pull-planner"] = seconds.get("pull-planner", 0) + time.monotonic() - started
        return self._planned[key]

    def verdict(self, client: str, row_id: str) -> Verdict:
        outcome = self.lab.results(client)[row_id]
        rule_set = RELEASES[client]
        return Verdict(
            client,
            row_id,
            rule_set,
            outcome,
            self.planned(rule_set, row_id),
            not_comparable(client, row_id, outcome),
        )


@pytest.fixture(scope="session")
def judge() -> Iterator[Judge]:
    require_tool("docker-registry", "docker-registry")
    lab = Lab(lab_directory())
    try:
        judged = Judge(lab)
        yield judged
        report = os.environ.get("PULL_PLANNER_REAL_RESULTS")
        if report:
            write_report(judged, Path(report))
    finally:
        lab.close()


# ---------------------------------------------------------------------------------- tests

CASES = [
    pytest.param(client, row_id, id=f"{client}-{row_id}")
    for client in CLIENTS
    for row_id, _ in ROWS
]


@pytest.mark.parametrize(("client", "row_id"), CASES)
def test_release_rule_set_picks_what_the_client_pulls(
    judge: Judge, client: str, row_id: str
) -> None:
    for binary in BINARIES[client]:
        require_tool(binary, PACKAGES[client])
    verdict = judge.verdict(client, row_id)
    outcome = verdict.outcome
    if (client, row_id) in CLIENT_ERRORS:
        assert outcome.error is not None and CLIENT_ERRORS[client, row_id] in outcome.error, (
            f"{client} no longer fails on {row_id} as recorded: {outcome.text()}"
        )
    if verdict.why_not is not None:
        pytest.skip(verdict.why_not)
    if verdict.planned == PARSE_ERROR or _INVALID_VARIANT in (outcome.error or ""):
        # the release's platforms.Parse refuses the host string: so must its rule set
        assert verdict.refused_alike, (
            f"{client}: {outcome.text()}; rule set {verdict.rule_set}: {verdict.planned}"
        )
        return
    assert outcome.error is None, f"{client} failed: {outcome.error} (notes: {outcome.notes})"
    live = outcome.position
    if (client, row_id) in DIFFERS_TODAY:
        assert (live, verdict.planned) == DIFFERS_TODAY[client, row_id], (
            f"recorded as live {DIFFERS_TODAY[client, row_id][0]} vs {verdict.rule_set}"
            f" {DIFFERS_TODAY[client, row_id][1]}; now live {live} vs {verdict.planned}:"
            " update DIFFERS_TODAY"
        )
        pytest.xfail(f"{client} pulls {live}, rule set {verdict.rule_set} picks {verdict.planned}")
    assert live == verdict.planned, (
        f"{client} pulled {live}, rule set {verdict.rule_set} picks {verdict.planned}"
        f" (platform {outcome.platform}; notes: {list(outcome.notes)})"
    )


def test_pinned_rows_exist() -> None:
    rows = {row_id for row_id, _ in ROWS}
    for client, row_id in [*DIFFERS_TODAY, *CLIENT_ERRORS]:
        assert client in CLIENTS and row_id in rows, (client, row_id)
    assert not set(DIFFERS_TODAY) & set(CLIENT_ERRORS)


# --------------------------------------------------------------------------------- report


def _pick(value: int | None) -> str:
    return "None" if value is None else str(value)


def write_report(judged: Judge, path: Path) -> None:
    """Every (row, client) result and the per-client summary, as Markdown."""
    clients = [c for c in CLIENTS if c in judged.lab._results]
    verdicts = {c: [judged.verdict(c, row_id) for row_id, _ in ROWS] for c in clients}
    lines = [
        "# Real clients on the selection tables: live results",
        "",
        f"Generated {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC by"
        " `PULL_PLANNER_REAL_RESULTS=<this file> python -m pytest tests/test_real_engines.py`"
        " (branch real-clients). Rows: tests/data/selection/*.yaml; harness:"
        " tests/real_clients.py.",
        "",
        "## Clients",
        "",
    ]
    for client in clients:
        lines.append(
            f"* **{client}** ({RELEASES[client]}, compared with rule set"
            f" `{RELEASES[client]}`): {client_version(client)}"
        )
    seconds = ", ".join(f"{step} {t:.1f} s" for step, t in judged.lab.seconds.items())
    lines += ["", f"Time taken (this run, 2-core machine): {seconds}.", "", "## Summary", ""]
    lines += [
        "| client | rows | compared | agree | disagree | not comparable |",
        "|---|---|---|---|---|---|",
    ]
    for client in clients:
        kinds = [v.kind for v in verdicts[client]]
        compared = kinds.count("agrees") + kinds.count("disagrees")
        lines.append(
            f"| {client} | {len(kinds)} | {compared} | {kinds.count('agrees')} |"
            f" {kinds.count('disagrees')} | {kinds.count('not comparable')} |"
            + (
                f" unexpected errors: {kinds.count('unexpected error')}"
                if "unexpected error" in kinds
                else ""
            )
        )
    for client in clients:
        lines += [
            "",
            f"### {client}: disagreements (row: live pick vs `{RELEASES[client]}`)",
            "",
        ]
        for v in verdicts[client]:
            if v.kind == "disagrees":
                lines.append(
                    f"* `{v.row_id}` (platform `{v.outcome.platform}`): live **{_pick(v.outcome.position)}**,"
                    f" rule set {_pick(v.planned)}" + _notes(v.outcome)
                )
        lines += ["", f"### {client}: not comparable", ""]
        for v in verdicts[client]:
            if v.kind in ("not comparable", "unexpected error"):
                lines.append(
                    f"* `{v.row_id}`: {v.why_not or 'UNEXPECTED ' + v.outcome.text()};"
                    f" manifests served: {list(v.outcome.fetched)}; rule set {_pick(v.planned)}"
                )
    lines += [
        "",
        "## Every result",
        "",
        "One line per (row, client): platform given, live result, rule-set pick, verdict;"
        ' "served" lists the entries whose image manifest the registry served to the client.',
        "",
    ]
    for row_id, row in ROWS:
        lines.append(f"### `{row_id}`")
        lines.append("")
        features = (
            f" with os.features {row['host_os_features']}" if "host_os_features" in row else ""
        )
        lines.append(f"host `{row['host']}`{features}, entries {row['entries']}")
        lines.append("")
        for client in clients:
            v = next(x for x in verdicts[client] if x.row_id == row_id)
            lines.append(
                f"* {client}: `{v.outcome.platform}` -> {v.outcome.text()} |"
                f" `{v.rule_set}`: {_pick(v.planned)} | {v.kind} | served"
                f" {list(v.outcome.fetched)}" + _notes(v.outcome)
            )
        lines.append("")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


def _notes(outcome: Outcome) -> str:
    return "".join(f"; {note}" for note in outcome.notes)


# ------------------------------------------------------------- the engines describe themselves


def test_real_docker_info_is_read_as_its_host(judge: Judge, tmp_path: Path) -> None:
    """``docker info --format '{{json .}}'`` of the live dockerd: its release picks its rules."""
    for binary in BINARIES["docker"]:
        require_tool(binary, PACKAGES["docker"])
    docker = judge.lab.driver("docker")
    assert isinstance(docker, Docker)
    _, done = docker.docker("info", "--format", "{{json .}}")
    assert done.returncode == 0, done.stderr
    _, version = docker.docker("version", "--format", "{{.Server.Version}}")
    path = tmp_path / "docker-info.json"
    path.write_text(done.stdout)
    (host,) = load_inventory(path)
    server = version.stdout.strip()
    # Debian's docker.io says 20.10.24+dfsg1: its own build's rules (rules/docker.yaml builds)
    built = "+dfsg" in server
    assert host.rules.build == ("+dfsg" if built else "")
    assert host.rules.name == f"docker@{server if built else release_number(server)}"
    if os.uname().machine == "x86_64":
        assert host.platform.format() == "linux/amd64"
    assert host.name == json.loads(done.stdout)["Name"]


def test_real_podman_info_is_read_as_its_host(judge: Judge, tmp_path: Path) -> None:
    """``podman info --format json`` of the live podman: podman@VERSION on this machine."""
    require_tool("podman", PACKAGES["podman"])
    podman = judge.lab.driver("podman")
    assert isinstance(podman, Podman)
    done = subprocess.run(
        [*podman.base, "info", "--format", "json"],
        env=podman.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    path = tmp_path / "podman-info.json"
    path.write_text(done.stdout)
    (host,) = load_inventory(path)
    assert host.rules.name == f"podman@{data['version']['Version']}"
    assert host.platform.architecture == data["host"]["arch"]
    assert host.name == data["host"]["hostname"]
