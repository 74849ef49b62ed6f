"""Where a pod may run (planner.workloads.scheduling) and the affinity suggested for a
failing workload (planner.workloads.suggest), row by row against the Kubernetes sources.

Sources (kubernetes/kubernetes, 1.32-1.35):
  SEL   staging/src/k8s.io/apimachinery/pkg/labels/selector.go
        (Requirement.Matches, NewRequirement)
  NA    staging/src/k8s.io/component-helpers/scheduling/corev1/nodeaffinity/nodeaffinity.go
        (LazyErrorNodeSelector.Match, isEmptyNodeSelectorTerm, nodeSelectorTerm.match)
  TOL   staging/src/k8s.io/api/core/v1/toleration.go (Toleration.ToleratesTaint)
  TT    pkg/scheduler/framework/plugins/tainttoleration (DoNotScheduleTaintsFilterFunc)
  DTS   plugin/pkg/admission/defaulttolerationseconds/admission.go
  DS    pkg/controller/daemon/util/daemonset_util.go (AddOrUpdateDaemonPodTolerations)
  KL    pkg/kubelet/lifecycle/predicate.go (generalFilter: NoExecute only;
        rejectPodAdmissionBasedOnOSField)
  NODE  pkg/kubelet/kubelet_node_status.go (initialNode labels),
        kubelet_node_status_windows.go (node.kubernetes.io/windows-build)
  VAL   staging/src/k8s.io/apimachinery/pkg/util/validation/validation.go
        (IsQualifiedName, IsValidLabelValue)
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import pytest

from planner.app.fleet import Status
from planner.hosts.records import HostProfile, Taint
from planner.model.platform import Platform
from planner.policy.loader import load_rules
from planner.workloads.model import (
    Container,
    ContainerProblem,
    NodeGroup,
    Workload,
    egress_counts,
)
from planner.workloads.scheduling import (
    ARCH_LABEL,
    BUILD_LABEL,
    HOSTNAME_LABEL,
    LEGACY_ARCH_LABEL,
    LEGACY_OS_LABEL,
    OS_LABEL,
    Placement,
    Requirement,
    Term,
    Toleration,
    Unfit,
    UnfitCode,
    label_key_problem,
    label_value_problem,
    node_labels,
    unfit_reason,
)
from planner.workloads.suggest import Suggestion
from planner.workloads.suggest import suggest as suggest_for

RULES = load_rules()


def node(
    name: str,
    platform: str = "linux/amd64",
    labels: Mapping[str, str] | None = None,
    taints: tuple[Taint, ...] = (),
) -> HostProfile:
    return HostProfile(
        name,
        Platform.parse(platform),
        RULES,
        labels=MappingProxyType(dict(labels or {})),
        taints=taints,
    )


def unfit(placement: Placement, host: HostProfile) -> Unfit | None:
    return placement.unfit(host, node_labels(host))


# --- Requirement.matches: SEL Requirement.Matches ---------------------------------------

LABELS = {"zone": "a", "gen": "7", "big": "9223372036854775807", "word": "seven", "empty": ""}

REQUIREMENTS = [
    # (key, operator, values, matches?, source)
    ("zone", "In", ("a", "b"), True, "SEL: In, label present and listed"),
    ("zone", "In", ("b",), False, "SEL: In, value not listed"),
    ("nope", "In", ("a",), False, "SEL: In, label absent"),
    ("empty", "In", ("",), True, "SEL: the empty string is a valid value"),
    ("zone", "NotIn", ("b",), True, "SEL: NotIn, value not listed"),
    ("zone", "NotIn", ("a",), False, "SEL: NotIn, value listed"),
    ("nope", "NotIn", ("a",), True, "SEL: NotIn matches when the label is absent"),
    ("zone", "Exists", (), True, "SEL: Exists"),
    ("nope", "Exists", (), False, "SEL: Exists, absent"),
    ("empty", "Exists", (), True, "SEL: Exists, empty value"),
    ("nope", "DoesNotExist", (), True, "SEL: DoesNotExist"),
    ("zone", "DoesNotExist", (), False, "SEL: DoesNotExist, present"),
    ("gen", "Gt", ("6",), True, "SEL: Gt compares int64s"),
    ("gen", "Gt", ("7",), False, "SEL: Gt is strict"),
    ("gen", "Lt", ("8",), True, "SEL: Lt"),
    ("gen", "Lt", ("7",), False, "SEL: Lt is strict"),
    ("gen", "Gt", ("06",), True, "SEL: ParseInt(base 10) takes leading zeros"),
    ("gen", "Gt", ("+6",), True, "SEL: ParseInt takes a sign"),
    ("gen", "Gt", ("6.5",), False, "SEL: not an integer: no match"),
    ("gen", "Gt", ("1_0",), False, "SEL: base 10 takes no underscores"),
    ("gen", "Gt", ("٣",), False, "SEL: ASCII digits only"),
    ("word", "Gt", ("1",), False, "SEL: the label is not an integer: no match"),
    ("big", "Gt", ("9223372036854775806",), True, "SEL: int64 range"),
    ("big", "Lt", ("9223372036854775808",), False, "SEL: out of int64: no match"),
    ("nope", "Gt", ("1",), False, "SEL: Gt, label absent"),
    ("gen", "Gt", ("1", "2"), False, "SEL: Gt needs exactly one value"),
]


@pytest.mark.parametrize(("key", "op", "values", "expected", "source"), REQUIREMENTS)
def test_requirement_matches(
    key: str, op: str, values: tuple[str, ...], expected: bool, source: str
) -> None:
    assert Requirement(key, op, values).matches(LABELS) is expected, source  # type: ignore[arg-type]


# --- Terms: NA (ORed terms, ANDed expressions, empty and unparseable terms) -----------------

ZONE_A = Requirement("zone", "In", ("a",))
GEN_7 = Requirement("gen", "In", ("7",))
NAME_N1 = Requirement("metadata.name", "In", ("n1",))

TERMS = [
    # (terms, matches n1 with LABELS?, source)
    ((Term((ZONE_A, GEN_7)),), True, "NA: expressions of a term are ANDed"),
    ((Term((ZONE_A, Requirement("gen", "In", ("8",)))),), False, "NA: one fails, the term fails"),
    ((Term((Requirement("gen", "In", ("8",)),)), Term((ZONE_A,))), True, "NA: terms are ORed"),
    ((Term(),), False, "NA: an empty term matches nothing (isEmptyNodeSelectorTerm)"),
    ((Term(), Term((ZONE_A,))), True, "NA: an empty term is dropped, the others still match"),
    ((Term(fields=(NAME_N1,)),), True, "NA: matchFields metadata.name In"),
    ((Term(fields=(Requirement("metadata.name", "In", ("n2",)),)),), False, "NA: other node"),
    ((Term(fields=(Requirement("metadata.name", "NotIn", ("n2",)),)),), True, "NA: NotIn"),
    ((Term((ZONE_A,), (NAME_N1,)),), True, "NA: labels and fields ANDed"),
    (
        (Term((ZONE_A,), (Requirement("metadata.name", "In", ("n2",)),)),),
        False,
        "NA: labels match, fields do not",
    ),
    (
        (Term((Requirement("zone", "NotIn", ("arm/v7",)),)),),
        False,
        "SEL NewRequirement: 'arm/v7' is no label value: the term does not parse, matches nothing",
    ),
    (
        (Term((Requirement("zone", "NotIn", ("arm/v7",)),)), Term((ZONE_A,))),
        True,
        "NA LazyErrorNodeSelector: a term that does not parse is skipped, the next one matches",
    ),
    (
        (Term((Requirement("gen", "Gt", ("-1",)),)),),
        False,
        "SEL NewRequirement: '-1' is an integer but no label value: the term does not parse",
    ),
    (
        (Term((ZONE_A, Requirement("gen", "Gt", ("x",)))),),
        False,
        "SEL NewRequirement: a Gt value that is not an integer spoils the whole term",
    ),
]


@pytest.mark.parametrize(("terms", "expected", "source"), TERMS)
def test_terms(terms: tuple[Term, ...], expected: bool, source: str) -> None:
    host = node("n1", labels=LABELS)
    verdict = unfit(Placement(terms=terms), host)
    assert (verdict is None) is expected, source
    if verdict is not None:
        assert verdict.code is UnfitCode.AFFINITY


# --- Toleration.tolerates: TOL ToleratesTaint -------------------------------------------------

GPU = Taint("nvidia.com/gpu", "present", "NoSchedule")

TOLERATIONS = [
    # (toleration, taint, tolerates?, source)
    (Toleration("nvidia.com/gpu", "Equal", "present", "NoSchedule"), GPU, True, "TOL: all equal"),
    (Toleration("nvidia.com/gpu", "Equal", "other", "NoSchedule"), GPU, False, "TOL: value"),
    (Toleration("nvidia.com/gpu", "Equal", "", "NoSchedule"), GPU, False, "TOL: Equal ''"),
    (Toleration("nvidia.com/gpu", "Exists", "", "NoSchedule"), GPU, True, "TOL: Exists, any value"),
    (Toleration("nvidia.com/gpu", "Exists"), GPU, True, "TOL: empty effect: every effect"),
    (Toleration("nvidia.com/gpu", "Exists", "", "NoExecute"), GPU, False, "TOL: other effect"),
    (Toleration("", "Exists"), GPU, True, "TOL: empty key + Exists tolerates everything"),
    (Toleration("", "Exists", "", "NoExecute"), GPU, False, "TOL: ... of that effect only"),
    (Toleration("other", "Exists"), GPU, False, "TOL: other key"),
    (Toleration("k"), Taint("k", "", "NoSchedule"), True, "TOL: Equal, both values empty"),
]


@pytest.mark.parametrize(("toleration", "taint", "expected", "source"), TOLERATIONS)
def test_toleration(toleration: Toleration, taint: Taint, expected: bool, source: str) -> None:
    assert toleration.tolerates(taint) is expected, source


# --- Placement.unfit: the filters one after the other --------------------------------------

NOT_READY = Taint("node.kubernetes.io/not-ready", "", "NoExecute")
UNREACHABLE = Taint("node.kubernetes.io/unreachable", "", "NoExecute")
CORDONED = Taint("node.kubernetes.io/unschedulable", "", "NoSchedule")
PRESSURE = Taint("node.kubernetes.io/disk-pressure", "", "NoSchedule")
NO_NETWORK = Taint("node.kubernetes.io/network-unavailable", "", "NoSchedule")
WINDOWS_ONLY = Taint("os", "windows", "NoSchedule")
SOFT = Taint("spot", "true", "PreferNoSchedule")
EVICT = Taint("maintenance", "", "NoExecute")
OWN_NOT_READY = Toleration("node.kubernetes.io/not-ready", "Equal", "x", "NoExecute")

PLACEMENTS = [
    # (placement, taints, eligible?, source)
    (Placement(), (SOFT,), True, "TT: PreferNoSchedule only scores, it does not filter"),
    (Placement(), (WINDOWS_ONLY,), False, "TT: NoSchedule filters"),
    (Placement(), (EVICT,), False, "TT: NoExecute filters"),
    (
        Placement(tolerations=(Toleration("os", "Equal", "windows", "NoSchedule"),)),
        (WINDOWS_ONLY,),
        True,
        "TT: tolerated",
    ),
    (Placement(), (NOT_READY, UNREACHABLE), True, "DTS: every pod tolerates them (300 s)"),
    (
        Placement(tolerations=(OWN_NOT_READY,)),
        (NOT_READY,),
        False,
        "DTS: the pod's own not-ready:NoExecute toleration stands in for the default",
    ),
    (
        Placement(tolerations=(OWN_NOT_READY,)),
        (UNREACHABLE,),
        True,
        "DTS: ... the unreachable default is still added",
    ),
    (
        Placement(tolerations=(Toleration("", "Exists", "", "NoSchedule"),)),
        (NOT_READY,),
        True,
        "DTS: an empty key with effect NoSchedule is no NoExecute toleration: defaults added",
    ),
    (Placement(), (CORDONED,), False, "TT: a cordoned node takes no new pods"),
    (Placement(daemon=True), (CORDONED,), True, "DS: DaemonSet pods tolerate unschedulable"),
    (Placement(daemon=True), (PRESSURE,), True, "DS: ... and disk-pressure"),
    (Placement(daemon=True), (NOT_READY, UNREACHABLE), True, "DS: ... and not-ready, unreachable"),
    (
        Placement(daemon=True, tolerations=(OWN_NOT_READY,)),
        (NOT_READY,),
        True,
        "DS: AddOrUpdateDaemonPodTolerations adds not-ready whatever the pod has",
    ),
    (Placement(daemon=True), (NO_NETWORK,), False, "DS: network-unavailable only with hostNetwork"),
    (Placement(daemon=True, host_network=True), (NO_NETWORK,), True, "DS: hostNetwork"),
    (Placement(host_network=True), (NO_NETWORK,), False, "DS: not for other kinds"),
    (Placement(daemon=True), (WINDOWS_ONLY,), False, "DS: other taints still need tolerations"),
    (Placement(node_name="n1"), (WINDOWS_ONLY,), True, "KL: no scheduler: NoSchedule ignored"),
    (Placement(node_name="n1"), (EVICT,), False, "KL: the kubelet still checks NoExecute"),
]


@pytest.mark.parametrize(("placement", "taints", "expected", "source"), PLACEMENTS)
def test_taints(
    placement: Placement, taints: tuple[Taint, ...], expected: bool, source: str
) -> None:
    verdict = unfit(placement, node("n1", taints=taints))
    assert (verdict is None) is expected, source
    if verdict is not None:
        assert verdict.code is UnfitCode.TAINT


def test_node_name_selector_os_and_their_reasons() -> None:
    arm = node("arm-1", "linux/arm64", {"pool": "arm"})
    win = node("win-1", "windows(10.0.20348.2700)/amd64")
    cases = [
        (Placement(node_name="other"), arm, UnfitCode.NODE_NAME, "spec.nodeName is 'other'"),
        (
            Placement(node_selector={"pool": "x86"}),
            arm,
            UnfitCode.NODE_SELECTOR,
            "nodeSelector pool='x86': the node's label is 'arm'",
        ),
        (
            Placement(node_selector={"gpu": "yes"}),
            arm,
            UnfitCode.NODE_SELECTOR,
            "nodeSelector gpu='yes': the node's label is not set",
        ),
        (
            Placement(os_name="windows"),
            arm,
            UnfitCode.OS,
            "spec.os.name is 'windows', the node runs 'linux'",
        ),
        (
            Placement(),
            node("t", taints=(WINDOWS_ONLY,)),
            UnfitCode.TAINT,
            "taint os=windows:NoSchedule is not tolerated",
        ),
    ]
    for placement, host, code, reason in cases:
        verdict = unfit(placement, host)
        assert verdict is not None and verdict.code is code
        assert unfit_reason(verdict) == reason
    assert unfit(Placement(os_name="windows"), win) is None
    assert unfit(Placement(node_selector={OS_LABEL: "windows"}), win) is None
    assert unfit(Placement(node_name="arm-1", node_selector={"pool": "arm"}), arm) is None


def test_placement_names_what_its_verdict_depends_on() -> None:
    placement = Placement(
        node_selector={"pool": "a"},
        terms=(Term((Requirement("zone", "Exists"),), (NAME_N1,)),),
        os_name="linux",
    )
    assert placement.label_keys() == {"pool", "zone", OS_LABEL}
    assert placement.by_name
    assert not Placement(node_selector={"pool": "a"}).by_name
    assert Placement(node_name="x").by_name


# --- node_labels: NODE ----------------------------------------------------------------------

NODE_LABELS = [
    # (platform, labels given, expected subset, source)
    ("linux/amd64", {}, {OS_LABEL: "linux", ARCH_LABEL: "amd64"}, "NODE: GOOS, GOARCH"),
    ("linux/x86_64", {}, {ARCH_LABEL: "amd64"}, "NODE: GOARCH, not uname"),
    ("linux/aarch64", {}, {ARCH_LABEL: "arm64"}, "NODE: GOARCH arm64"),
    ("linux/arm64/v8", {}, {ARCH_LABEL: "arm64"}, "NODE: no variant in GOARCH"),
    ("linux/arm/v7", {}, {ARCH_LABEL: "arm"}, "NODE: arm/v7 is GOARCH arm"),
    ("linux/arm/v6", {}, {ARCH_LABEL: "arm"}, "NODE: arm/v6 too"),
    ("linux/amd64", {}, {LEGACY_OS_LABEL: "linux", LEGACY_ARCH_LABEL: "amd64"}, "NODE: beta"),
    ("linux/amd64", {}, {HOSTNAME_LABEL: "n1"}, "NODE: hostname"),
    (
        "windows(10.0.20348.2700)/amd64",
        {},
        {OS_LABEL: "windows", BUILD_LABEL: "10.0.20348"},
        "NODE windows: major.minor.build",
    ),
    (
        "linux/amd64",
        {ARCH_LABEL: "arm64", HOSTNAME_LABEL: "ip-10-0-1-5"},
        {ARCH_LABEL: "arm64", LEGACY_ARCH_LABEL: "arm64", HOSTNAME_LABEL: "ip-10-0-1-5"},
        "labels the inventory read win over the synthesized ones",
    ),
]


@pytest.mark.parametrize(("platform", "given", "expected", "source"), NODE_LABELS)
def test_node_labels(
    platform: str, given: dict[str, str], expected: dict[str, str], source: str
) -> None:
    labels = node_labels(node("n1", platform, given))
    assert {k: labels.get(k) for k in expected} == expected, source


def test_linux_nodes_have_no_windows_build_label() -> None:
    assert BUILD_LABEL not in node_labels(node("n1", "linux/amd64"))


def test_an_old_charts_beta_node_selector_matches_a_hand_written_host() -> None:
    placement = Placement(node_selector={LEGACY_OS_LABEL: "linux", LEGACY_ARCH_LABEL: "amd64"})
    assert unfit(placement, node("n1", "linux/x86_64")) is None
    assert unfit(placement, node("n2", "linux/arm64")) is not None


# --- label syntax: VAL ----------------------------------------------------------------------

LABEL_KEYS = [
    ("kubernetes.io/arch", True, "VAL: prefix/name"),
    ("app", True, "VAL: name only"),
    ("a.b-c_d", True, "VAL: name characters"),
    ("example.com/" + "x" * 63, True, "VAL: a 63-character name"),
    ("example.com/" + "x" * 64, False, "VAL: a 64-character name"),
    ("Example.com/x", False, "VAL: the prefix is lower case"),
    ("/x", False, "VAL: an empty prefix"),
    ("example.com/", False, "VAL: an empty name"),
    ("-x", False, "VAL: begins with an alphanumeric"),
    ("x y", False, "VAL: no spaces"),
    ("a/b/c", False, "VAL: one '/' at most (the prefix 'a/b' is no DNS subdomain)"),
    ("ä", False, "VAL: ASCII"),
]


@pytest.mark.parametrize(("key", "valid", "source"), LABEL_KEYS)
def test_label_keys(key: str, valid: bool, source: str) -> None:
    assert (label_key_problem(key) is None) is valid, source


LABEL_VALUES = [
    ("", True, "VAL: empty is valid"),
    ("amd64", True, "VAL"),
    ("10.0.20348", True, "VAL: dots"),
    ("x" * 63, True, "VAL: 63 characters"),
    ("x" * 64, False, "VAL: 64 characters"),
    ("arm/v7", False, "VAL: no '/'"),
    ("-1", False, "VAL: begins with an alphanumeric"),
    ("a.", False, "VAL: ends with an alphanumeric"),
    ("a\x1b[31m", False, "VAL: no control characters"),
]


@pytest.mark.parametrize(("value", "valid", "source"), LABEL_VALUES)
def test_label_values(value: str, valid: bool, source: str) -> None:
    assert (label_value_problem(value) is None) is valid, source


# --- suggest: the affinity that keeps a workload where it runs --------------------------------

APP = Container("app", "example.com/app:1", "example.com/app:1")


def result(host: HostProfile, status: Status) -> NodeGroup:
    """A node's result, as the group of that one node."""
    problems = () if status == "ok" else (ContainerProblem(APP, status, "no match"),)  # type: ignore[arg-type]
    return NodeGroup((host,), status, problems, 0, (), egress_counts((host,)))


def suggest(
    workload: Workload, results: list[NodeGroup], labels: Mapping[str, Mapping[str, str]]
) -> Suggestion:
    """:func:`planner.workloads.suggest.suggest` on one group per node, in host order."""
    return suggest_for(workload, [g.hosts[0] for g in results], results, labels)


def workload(placement: Placement | None = None) -> Workload:
    return Workload("Deployment", "default", "app", (APP,), placement or Placement(), "f:1:1")


def suggested(
    nodes: list[tuple[HostProfile, Status]], placement: Placement | None = None
) -> tuple[list[dict[str, object]] | None, tuple[str, ...], list[dict[str, object]]]:
    results = [result(h, s) for h, s in nodes]
    labels = {h.name: node_labels(h) for h, _ in nodes}
    found = suggest(workload(placement), results, labels)
    affinity = found.affinity()
    terms = (
        None
        if affinity is None
        else affinity["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][
            "nodeSelectorTerms"
        ]
    )
    return terms, found.keeps, [b.to_dict() for b in found.builds]


def test_suggest_arch_keeps_amd64_nodes() -> None:
    terms, keeps, builds = suggested(
        [(node("x1"), "ok"), (node("x2"), "ok"), (node("a1", "linux/arm64"), "no-image")]
    )
    assert terms == [
        {"matchExpressions": [{"key": ARCH_LABEL, "operator": "In", "values": ["amd64"]}]}
    ]
    assert keeps == ("x1", "x2")
    assert builds == [
        {"container": "app", "image": "example.com/app:1", "platforms": ["linux/arm64"]}
    ]


def test_suggest_separates_arm_v6_from_v7_by_another_label() -> None:
    """arm/v6 and arm/v7 nodes share kubernetes.io/arch=arm (NODE: GOARCH): the arch
    label cannot keep the v6 node off, a pool label can."""
    v7 = node("pi4", "linux/arm/v7", {"karpenter.sh/nodepool": "pi4", "site": "lab"})
    v6 = node("pi0", "linux/arm/v6", {"karpenter.sh/nodepool": "pi0", "site": "lab"})
    terms, keeps, builds = suggested([(v7, "ok"), (v6, "will-not-run")])
    assert terms == [
        {
            "matchExpressions": [
                {"key": "karpenter.sh/nodepool", "operator": "In", "values": ["pi4"]}
            ]
        }
    ]
    assert keeps == ("pi4",)
    assert builds[0]["platforms"] == ["linux/arm/v6"]


def test_suggest_falls_back_to_hostname_labels() -> None:
    """Nothing but the name tells the nodes apart: the hostname label, which the kubelet
    sets from the hostname, not the node name (NODE: kl.hostname)."""
    good = node("ip-10-0-1-5.ec2.internal", "linux/arm/v7", {HOSTNAME_LABEL: "ip-10-0-1-5"})
    bad = node("ip-10-0-1-6.ec2.internal", "linux/arm/v6", {HOSTNAME_LABEL: "ip-10-0-1-6"})
    terms, _, _ = suggested([(good, "ok"), (bad, "no-image")])
    assert terms == [
        {"matchExpressions": [{"key": HOSTNAME_LABEL, "operator": "In", "values": ["ip-10-0-1-5"]}]}
    ]


def test_suggest_windows_build() -> None:
    ltsc2022 = node("w22", "windows(10.0.20348.2700)/amd64")
    ltsc2019 = node("w19", "windows(10.0.17763.6414)/amd64")
    terms, _, _ = suggested([(ltsc2022, "ok"), (ltsc2019, "no-image")])
    assert terms == [
        {"matchExpressions": [{"key": BUILD_LABEL, "operator": "In", "values": ["10.0.20348"]}]}
    ]


def test_suggest_adds_to_each_of_the_workloads_own_terms() -> None:
    own = Placement(
        terms=(
            Term((Requirement("zone", "In", ("a",)),)),
            Term((Requirement("zone", "In", ("b",)),)),
        )
    )
    terms, _, _ = suggested(
        [
            (node("x1", labels={"zone": "a"}), "ok"),
            (node("a1", "linux/arm64", {"zone": "b"}), "no-image"),
        ],
        own,
    )
    arch = {"key": ARCH_LABEL, "operator": "In", "values": ["amd64"]}
    assert terms == [
        {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}, arch]},
        {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["b"]}, arch]},
    ]


def test_suggested_terms_keep_exactly_the_good_nodes() -> None:
    """Whatever the mix, the suggested terms admit every good node and no bad one."""
    hosts = [
        (node("x1", "linux/amd64", {"pool": "general"}), "ok"),
        (node("x2", "linux/amd64", {"pool": "general"}), "no-image"),
        (node("a1", "linux/arm64", {"pool": "graviton"}), "ok"),
        (node("p7", "linux/arm/v7", {"pool": "edge"}), "ok"),
        (node("p6", "linux/arm/v6", {"pool": "edge"}), "will-not-run"),
        (node("w1", "windows(10.0.20348.2700)/amd64", {"pool": "win"}), "no-image"),
    ]
    results = [result(h, s) for h, s in hosts]  # type: ignore[arg-type]
    labels = {h.name: node_labels(h) for h, _ in hosts}
    found = suggest(workload(), results, labels)
    assert found.terms is not None
    placement = Placement(terms=found.terms)
    for host, status in hosts:
        assert (placement.unfit(host, labels[host.name]) is None) is (status == "ok"), host.name


def test_no_suggestion_without_a_good_node_or_for_compose() -> None:
    terms, keeps, builds = suggested([(node("a1", "linux/arm64"), "no-image")])
    assert terms is None and keeps == () and builds[0]["platforms"] == ["linux/arm64"]
    compose = Workload("compose", "shop", "web", (APP,), Placement(), "f:1:1", compose=True)
    hosts = [node("x1"), node("a1", "linux/arm64")]
    found = suggest(
        compose,
        [result(hosts[0], "ok"), result(hosts[1], "no-image")],
        {h.name: node_labels(h) for h in hosts},
    )
    assert found.terms is None and found.patch("spec") is None


def test_patch_nests_the_affinity_at_the_pod_spec() -> None:
    hosts = [node("x1"), node("a1", "linux/arm64")]
    found = suggest(
        workload(),
        [result(hosts[0], "ok"), result(hosts[1], "no-image")],
        {h.name: node_labels(h) for h in hosts},
    )
    patch = found.patch("spec.jobTemplate.spec.template.spec")
    assert patch is not None
    inner = patch["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert inner == {"affinity": found.affinity()}
