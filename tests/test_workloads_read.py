"""Kubernetes manifests as workloads (planner.workloads.kubernetes, planner.workloads.files).

Real-shaped input: ``helm template`` output (``# Source:`` comments, empty
documents), ``kubectl get … -o yaml`` (``status``, ``managedFields``, ``kind:
List``), JSON. Rows cite the Kubernetes source they follow (kubernetes/kubernetes):
  TYPES  staging/src/k8s.io/api/{core,apps,batch}/v1/types.go (where each kind
         keeps its pod template)
  VAL    pkg/apis/core/validation/validation.go (ValidateNodeSelectorRequirement,
         ValidateNodeFieldSelectorRequirement, ValidateTolerations, validateOS,
         ValidateLabels)
  SIDE   KEP-753 sidecar containers: an init container with restartPolicy: Always
Input errors are one line, ``file:line:column: KIND NAMESPACE/NAME: key.path: problem``,
and reach the command line as exit status 2 before any registry is asked.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from planner.cli.main import main
from planner.workloads import files as manifests_module
from planner.workloads.files import read_manifests
from planner.workloads.model import Workload, WorkloadError
from planner.workloads.scheduling import Requirement, Term, Toleration


def write(tmp_path: Path, text: str, name: str = "m.yaml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def workloads(tmp_path: Path, text: str) -> list[Workload]:
    return list(read_manifests([write(tmp_path, text)]).workloads)


def error(tmp_path: Path, text: str, name: str = "m.yaml") -> str:
    path = write(tmp_path, text, name)
    with pytest.raises(WorkloadError) as caught:
        read_manifests([path])
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"{path}:")
    return message[len(path) + 1 :]


HELM = """\
---
# Source: shop/templates/serviceaccount.yaml
apiVersion: v1
kind: ServiceAccount
metadata:
  name: shop
---
# Source: shop/templates/web.yaml
apiVersion: v1
kind: Service
metadata:
  name: shop-web
spec:
  ports:
    - port: 80
---
# Source: shop/templates/disabled.yaml
---
# Source: shop/templates/web.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop-web
  labels:
    helm.sh/chart: shop-0.1.0
spec:
  replicas: 3
  template:
    spec:
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms:
              - matchExpressions:
                  - key: kubernetes.io/arch
                    operator: In
                    values: [amd64, arm64]
      initContainers:
        - name: migrate
          image: registry.example.com/shop/migrate:1.4
        - name: metrics-proxy
          image: registry.example.com/shop/proxy:2.0
          restartPolicy: Always
      containers:
        - name: web
          image: registry.example.com/shop/web:1.4
      tolerations:
        - key: dedicated
          operator: Equal
          value: web
          effect: NoSchedule
"""


def test_helm_template_output(tmp_path: Path) -> None:
    found = read_manifests([write(tmp_path, HELM)])
    (web,) = found.workloads
    assert (web.id, web.pod_spec, web.replicas) == (
        "Deployment/default/shop-web",
        "spec.template.spec",
        3,
    )
    assert web.place.endswith("m.yaml:20:1")  # the object, after its '# Source:' comment
    containers = {c.name: c for c in web.containers}
    assert containers["web"].init is False and containers["web"].place.endswith(":45:11")
    assert containers["migrate"].init and not containers["migrate"].sidecar
    assert containers["metrics-proxy"].init and containers["metrics-proxy"].sidecar  # SIDE
    assert web.placement.terms == (
        Term((Requirement("kubernetes.io/arch", "In", ("amd64", "arm64")),)),
    )
    assert web.placement.tolerations == (Toleration("dedicated", "Equal", "web", "NoSchedule"),)
    assert [(s.what, s.reason) for s in found.skipped] == [
        ("ServiceAccount default/shop", "ServiceAccount has no pod template"),
        ("Service default/shop-web", "Service has no pod template"),
    ]  # the empty document is neither a workload nor worth a line


KUBECTL_GET = """\
apiVersion: v1
items:
- apiVersion: apps/v1
  kind: DaemonSet
  metadata:
    annotations:
      deprecated.daemonset.template.generation: "1"
    creationTimestamp: "2026-11-30T09:12:44Z"
    generation: 1
    managedFields:
    - apiVersion: apps/v1
      fieldsType: FieldsV1
      fieldsV1:
        f:spec:
          f:template:
            f:spec:
              f:containers:
                k:{"name":"fluent-bit"}:
                  .: {}
                  f:image: {}
      manager: kubectl-client-side-apply
      operation: Update
      time: "2026-11-30T09:12:44Z"
    name: fluent-bit
    namespace: logging
    resourceVersion: "81723"
    uid: 6f1c3b44-7d7e-4a55-9a4e-8f1b1c2d3e4f
  spec:
    revisionHistoryLimit: 10
    selector:
      matchLabels:
        app: fluent-bit
    template:
      metadata:
        creationTimestamp: null
        labels:
          app: fluent-bit
      spec:
        containers:
        - image: cr.fluentbit.io/fluent/fluent-bit:3.2
          imagePullPolicy: IfNotPresent
          name: fluent-bit
          resources: {}
        dnsPolicy: ClusterFirst
        hostNetwork: true
        nodeSelector:
          kubernetes.io/os: linux
        restartPolicy: Always
        tolerations:
        - operator: Exists
  status:
    currentNumberScheduled: 3
    desiredNumberScheduled: 3
    numberReady: 3
    observedGeneration: 1
- apiVersion: batch/v1
  kind: CronJob
  metadata:
    name: nightly
    namespace: jobs
  spec:
    schedule: "0 2 * * *"
    jobTemplate:
      spec:
        template:
          spec:
            nodeSelector:
              kubernetes.io/arch: arm64
            containers:
            - name: report
              image: example.com/report@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
            restartPolicy: OnFailure
  status:
    lastScheduleTime: "2026-11-30T02:00:00Z"
kind: List
metadata:
  resourceVersion: ""
"""


def test_kubectl_get_output_with_status_and_managed_fields(tmp_path: Path) -> None:
    daemon, cron = workloads(tmp_path, KUBECTL_GET)
    assert daemon.id == "DaemonSet/logging/fluent-bit"
    assert daemon.replicas is None  # one pod per eligible node
    assert daemon.placement.daemon and daemon.placement.host_network
    assert daemon.placement.node_selector == {"kubernetes.io/os": "linux"}
    assert daemon.placement.tolerations == (Toleration("", "Exists"),)
    assert [c.reference for c in daemon.containers] == ["cr.fluentbit.io/fluent/fluent-bit:3.2"]
    assert cron.id == "CronJob/jobs/nightly"
    assert cron.pod_spec == "spec.jobTemplate.spec.template.spec"
    assert cron.placement.node_selector == {"kubernetes.io/arch": "arm64"}
    assert cron.containers[0].reference.startswith("example.com/report@sha256:")


def pod_spec(containers: str = "[{name: a, image: nginx:1.27}]") -> str:
    return f"spec:\n  containers: {containers}\n"


@pytest.mark.parametrize(
    ("kind", "at", "source"),
    [
        ("Pod", "spec", "TYPES: Pod.spec"),
        ("Deployment", "spec.template.spec", "TYPES apps/v1: DeploymentSpec.template"),
        ("ReplicaSet", "spec.template.spec", "TYPES apps/v1: ReplicaSetSpec.template"),
        ("StatefulSet", "spec.template.spec", "TYPES apps/v1: StatefulSetSpec.template"),
        ("DaemonSet", "spec.template.spec", "TYPES apps/v1: DaemonSetSpec.template"),
        ("Job", "spec.template.spec", "TYPES batch/v1: JobSpec.template"),
        ("ReplicationController", "spec.template.spec", "TYPES core/v1: ReplicationControllerSpec"),
        (
            "CronJob",
            "spec.jobTemplate.spec.template.spec",
            "TYPES batch/v1: CronJobSpec.jobTemplate",
        ),
        ("Rollout", "spec.template.spec", "Argo Rollouts: a custom kind with spec.template.spec"),
        ("CloneSet", "spec.template.spec", "OpenKruise: likewise"),
    ],
)
def test_pod_spec_per_kind(tmp_path: Path, kind: str, at: str, source: str) -> None:
    document: dict[str, object] = {"containers": [{"name": "a", "image": "nginx:1.27"}]}
    for step in reversed(at.split(".")):
        document = {step: document}
    document.update(kind=kind, apiVersion="x/v1", metadata={"name": "w", "namespace": "ns"})
    (found,) = workloads(tmp_path, json.dumps(document))
    assert (found.id, found.pod_spec) == (f"{kind}/ns/w", at), source
    assert found.containers[0].reference == "docker.io/library/nginx:1.27"


SKIPPED = [
    # (document, reason, source)
    (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n",
        "ConfigMap has no pod template",
        "no pod template",
    ),
    (
        "apiVersion: v1\nkind: PodTemplate\nmetadata: {name: t}\ntemplate:\n"
        "  spec: {containers: [{name: a, image: nginx}]}\n",
        "a PodTemplate starts no pod by itself",
        "TYPES: PodTemplate.template is no spec.template",
    ),
    (
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
        "metadata: {name: rollouts.argoproj.io}\nspec:\n  template: {spec: {}}\n",
        "CustomResourceDefinition has no pod template",
        "a custom kind without containers",
    ),
    ("- just\n- a list\n", "a list, not an object", "not an object"),
    ("hello\n", "the string 'hello', not an object", "not an object"),
    ("metadata: {name: x}\n", "no kind: not a Kubernetes object", "no kind"),
    ("kind: 7\n", "no kind: not a Kubernetes object", "a kind that is no string"),
]


@pytest.mark.parametrize(("text", "reason", "source"), SKIPPED)
def test_skipped_documents(tmp_path: Path, text: str, reason: str, source: str) -> None:
    found = read_manifests(
        [write(tmp_path, text + "---\n" + "kind: Pod\nmetadata: {name: p}\n" + pod_spec())]
    )
    assert [w.id for w in found.workloads] == ["Pod/default/p"]
    assert [s.reason for s in found.skipped] == [reason], source
    assert found.skipped[0].place.endswith(":1:1")


def test_lists_nest_and_typed_lists_count(tmp_path: Path) -> None:
    pod = {
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "a", "image": "x"}]},
    }
    inner = {"kind": "PodList", "items": [pod]}
    outer = {"kind": "List", "items": [inner, {"kind": "Service", "metadata": {"name": "s"}}]}
    found = read_manifests([write(tmp_path, json.dumps(outer), "l.json")])
    assert [w.id for w in found.workloads] == ["Pod/default/p"]
    assert [s.what for s in found.skipped] == ["Service default/s"]
    empty = "apiVersion: v1\nitems: []\nkind: List\nmetadata:\n  resourceVersion: ''\n"
    assert read_manifests([write(tmp_path, empty + "---\nkind: List\n")]) == (
        read_manifests([write(tmp_path, "")])
    )  # kubectl get of nothing, and a List without items: no objects


def test_names_namespaces_and_container_kinds(tmp_path: Path) -> None:
    text = """\
kind: Pod
metadata:
  generateName: debug-
spec:
  containers: [{name: main, image: busybox}]
  initContainers: [{name: setup, image: busybox}]
  ephemeralContainers: [{name: dbg, image: "  alpine:3.20  "}]
"""
    (pod,) = workloads(tmp_path, text)
    assert pod.id == "Pod/default/debug-"  # generateName; no namespace: 'default'
    flags = {c.name: (c.init, c.sidecar, c.ephemeral) for c in pod.containers}
    assert flags == {
        "main": (False, False, False),
        "setup": (True, False, False),
        "dbg": (False, False, True),
    }
    assert [c.image for c in pod.containers if c.ephemeral] == ["alpine:3.20"]


def test_workload_fields_read(tmp_path: Path) -> None:
    text = """\
kind: StatefulSet
metadata: {name: db, namespace: data}
spec:
  template:
    spec:
      nodeName: node-7
      os: {name: windows}
      nodeSelector: {node.kubernetes.io/windows-build: "10.0.20348"}
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms:
              - matchExpressions:
                  - {key: gen, operator: Gt, values: ["5"]}
                  - {key: spot, operator: DoesNotExist}
                matchFields:
                  - {key: metadata.name, operator: NotIn, values: [node-8]}
              - {}
      tolerations:
        - {key: os, value: windows, effect: NoSchedule}
        - {key: x, operator: Exists, effect: NoExecute, tolerationSeconds: 60}
      containers: [{name: db, image: mcr.microsoft.com/mssql/server:2022-latest}]
"""
    (db,) = workloads(tmp_path, text)
    placement = db.placement
    assert (placement.node_name, placement.os_name) == ("node-7", "windows")
    assert placement.node_selector == {"node.kubernetes.io/windows-build": "10.0.20348"}
    assert placement.terms == (
        Term(
            (Requirement("gen", "Gt", ("5",)), Requirement("spot", "DoesNotExist")),
            (Requirement("metadata.name", "NotIn", ("node-8",)),),
        ),
        Term(),
    )
    assert placement.tolerations == (
        Toleration("os", "Equal", "windows", "NoSchedule"),
        Toleration("x", "Exists", "", "NoExecute"),
    )
    assert db.replicas == 1  # spec.replicas defaults to 1


PROBLEMS = [
    # (pod spec lines under 'spec:', expected 'line:column: ...' after the path, source)
    (
        "  nodeSelector:\n    disk: 1\n",
        "5:5: Pod default/p: spec.nodeSelector.disk: labels and values must be strings (quote numbers)",
        "VAL ValidateLabels: map[string]string (json: cannot unmarshal number)",
    ),
    (
        "  nodeSelector:\n    1: a\n",
        "5:5: Pod default/p: spec.nodeSelector.1: labels and values must be strings (quote numbers)",
        "VAL: keys are strings",
    ),
    (
        "  nodeSelector:\n    ssd: true\n",
        "5:5: Pod default/p: spec.nodeSelector.ssd: labels and values must be strings (quote numbers)",
        "VAL: YAML true is a boolean, not 'true'",
    ),
    (
        "  nodeSelector:\n    arch: arm/v7\n",
        "5:5: Pod default/p: spec.nodeSelector.arch: 'arm/v7' is not a label value: must be"
        " alphanumerics, '-', '_' or '.', beginning and ending with an alphanumeric",
        "VAL ValidateLabels: IsValidLabelValue",
    ),
    (
        "  nodeSelector:\n    Example.com/x: a\n",
        "5:5: Pod default/p: spec.nodeSelector.Example.com/x: 'Example.com/x' is not a label key:"
        " its prefix (before '/') must be a DNS subdomain such as example.com",
        "VAL ValidateLabels: IsQualifiedName",
    ),
    (
        "  nodeName: 7\n",
        "4:3: Pod default/p: spec.nodeName: must be a string, not the number 7",
        "TYPES: nodeName is a string",
    ),
    (
        "  os: linux\n",
        "4:3: Pod default/p: spec.os: must be a mapping, not the string 'linux'",
        "TYPES: PodOS is an object",
    ),
    ("  os: {}\n", "4:7: Pod default/p: spec.os.name: missing", "VAL validateOS: Required"),
    (
        "  os: {name: darwin}\n",
        "4:8: Pod default/p: spec.os.name: 'darwin' is not one of: linux, windows",
        "VAL validateOS: NotSupported",
    ),
    (
        "  tolerations:\n    - {key: k, value: 0}\n",
        "5:16: Pod default/p: spec.tolerations[0].value: must be a string, not the number 0",
        "TYPES: a value of 0 is no empty string",
    ),
    (
        "  tolerations:\n    - {key: k, operator: false}\n",
        "5:16: Pod default/p: spec.tolerations[0].operator: must be a string, not a boolean",
        "TYPES: operator is a string",
    ),
    (
        "  tolerations:\n    - {key: k, operator: Gt, value: '5'}\n",
        "5:16: Pod default/p: spec.tolerations[0].operator: 'Gt' is not one of: Equal, Exists",
        "VAL ValidateTolerations (Gt/Lt only behind the alpha TaintTolerationComparisonOperators)",
    ),
    (
        "  tolerations:\n    - {value: x}\n",
        "5:7: Pod default/p: spec.tolerations[0]: an empty key needs operator: Exists"
        " (it tolerates every taint)",
        "VAL ValidateTolerations: operator must be Exists when key is empty",
    ),
    (
        "  tolerations:\n    - {key: k, operator: Exists, value: x}\n",
        "5:34: Pod default/p: spec.tolerations[0].value: operator Exists takes no value",
        "VAL ValidateTolerations: value must be empty when operator is Exists",
    ),
    (
        "  tolerations:\n    - {key: k, effect: NoRun}\n",
        "5:16: Pod default/p: spec.tolerations[0].effect: 'NoRun' is not one of: NoSchedule,"
        " PreferNoSchedule, NoExecute",
        "VAL validateTaintEffect",
    ),
    (
        "  tolerations:\n    - {key: k, value: a b}\n",
        "5:16: Pod default/p: spec.tolerations[0].value: 'a b' is not a label value: must be"
        " alphanumerics, '-', '_' or '.', beginning and ending with an alphanumeric",
        "VAL ValidateTolerations: IsValidLabelValue",
    ),
    (
        "  affinity:\n    nodeAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution: {}\n",
        "6:55: Pod default/p: spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution"
        ".nodeSelectorTerms: must be a non-empty list of terms",
        "VAL ValidateNodeSelector: must have at least one node selector term",
    ),
]


@pytest.mark.parametrize(("lines", "expected", "source"), PROBLEMS)
def test_problems_name_file_line_column(
    tmp_path: Path, lines: str, expected: str, source: str
) -> None:
    text = (
        "kind: Pod\nmetadata: {name: p}\nspec:\n"
        + lines
        + "  containers: [{name: a, image: nginx}]\n"
    )
    assert error(tmp_path, text) == expected, source


def affinity(expression: str, key: str = "matchExpressions") -> str:
    return (
        "kind: Pod\nmetadata: {name: p}\nspec:\n  affinity:\n    nodeAffinity:\n"
        "      requiredDuringSchedulingIgnoredDuringExecution:\n        nodeSelectorTerms:\n"
        f"          - {key}:\n              - {expression}\n"
        "  containers: [{name: a, image: nginx}]\n"
    )


TERM = (
    "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]"
)

EXPRESSIONS = [
    # (expression, where, problem, source)
    (
        "{key: a, operator: Equals, values: [x]}",
        "matchExpressions[0].operator",
        "'Equals' is not one of: In, NotIn, Exists, DoesNotExist, Gt, Lt",
        "VAL: not a valid selector operator",
    ),
    (
        "{key: a, operator: In}",
        "matchExpressions[0].values",
        "In needs at least one value",
        "VAL: must be specified when operator is In or NotIn",
    ),
    (
        "{key: a, operator: Exists, values: [x]}",
        "matchExpressions[0].values",
        "Exists takes no values",
        "VAL: may not be specified when operator is Exists or DoesNotExist",
    ),
    (
        "{key: a, operator: Gt, values: ['1', '2']}",
        "matchExpressions[0].values",
        "Gt takes exactly one integer value",
        "VAL: must be specified single value when operator is Lt or Gt",
    ),
    (
        "{key: a, operator: In, values: [1]}",
        "matchExpressions[0].values",
        "must be a list of strings, not a list",
        "TYPES: values are strings",
    ),
    ("{operator: Exists}", "matchExpressions[0].key", "missing", "VAL: ValidateLabelName"),
    (
        "{key: 'a b', operator: Exists}",
        "matchExpressions[0].key",
        "'a b' is not a label key: its name (after any '/') must be alphanumerics, '-', '_' or '.',"
        " beginning and ending with an alphanumeric",
        "VAL: ValidateLabelName",
    ),
]


@pytest.mark.parametrize(("expression", "where", "problem", "source"), EXPRESSIONS)
def test_match_expression_problems(
    tmp_path: Path, expression: str, where: str, problem: str, source: str
) -> None:
    message = error(tmp_path, affinity(expression))
    assert message.split(": ", 1)[1] == f"Pod default/p: {TERM}.{where}: {problem}", source


FIELDS = [
    (
        "{key: metadata.name, operator: In, values: [n1, n2]}",
        "matchFields[0].values",
        "must be exactly one node name, not 2 (one term per node to allow several)",
        "VAL ValidateNodeFieldSelectorRequirement: must be only one value",
    ),
    (
        "{key: metadata.labels, operator: In, values: [n1]}",
        "matchFields[0]",
        "only metadata.name with In or NotIn is supported by Kubernetes",
        "VAL: not a valid field selector key",
    ),
    (
        "{key: metadata.name, operator: Exists}",
        "matchFields[0]",
        "only metadata.name with In or NotIn is supported by Kubernetes",
        "VAL: not a valid selector operator",
    ),
]


@pytest.mark.parametrize(("expression", "where", "problem", "source"), FIELDS)
def test_match_field_problems(
    tmp_path: Path, expression: str, where: str, problem: str, source: str
) -> None:
    message = error(tmp_path, affinity(expression, "matchFields"))
    assert message.split(": ", 1)[1] == f"Pod default/p: {TERM}.{where}: {problem}", source


def test_values_that_kubernetes_accepts_but_never_match_are_read(tmp_path: Path) -> None:
    """The API server takes a Gt that is no integer and an In value that is no label
    value (VAL checks neither); the scheduler then matches no node with that term."""
    (pod,) = workloads(tmp_path, affinity("{key: gen, operator: Gt, values: [seven]}"))
    assert pod.placement.terms is not None
    assert not pod.placement.terms[0].expressions[0].parses


CONTAINER_PROBLEMS = [
    ("[]", "4:3: Pod default/p: spec.containers: missing: a pod has at least one container"),
    ("[{image: nginx}]", "4:16: Pod default/p: spec.containers[0].name: missing"),
    ("[{name: a}]", "4:16: Pod default/p: spec.containers[0].image: missing"),
    (
        "[{name: a, image: 5}]",
        "4:26: Pod default/p: spec.containers[0].image: must be a string, not the number 5",
    ),
    (
        "[{name: a, image: '  '}]",
        "4:26: Pod default/p: spec.containers[0].image: must be a string, not the string '  '",
    ),
    ("[{name: a, image: 'nginx:'}]", None),
    ("nginx", "4:3: Pod default/p: spec.containers: must be a list, not the string 'nginx'"),
    (
        "[nginx]",
        "4:16: Pod default/p: spec.containers[0]: must be a mapping, not the string 'nginx'",
    ),
]


@pytest.mark.parametrize(("containers", "expected"), CONTAINER_PROBLEMS)
def test_container_problems(tmp_path: Path, containers: str, expected: str | None) -> None:
    message = error(tmp_path, "kind: Pod\nmetadata: {name: p}\n" + pod_spec(containers))
    if expected is None:  # an invalid reference: the parser's reason follows
        assert message.startswith(
            "4:26: Pod default/p: spec.containers[0].image: 'nginx:' is not a valid image reference"
        )
    else:
        assert message == expected


def test_object_problems(tmp_path: Path) -> None:
    assert error(tmp_path, "kind: Pod\n" + pod_spec()) == (
        "1:1: Pod default/(no name): metadata.name: missing: every object has a name"
    )
    assert error(tmp_path, "kind: Deployment\nmetadata: {name: d}\nspec: {}\n") == (
        "1:1: Deployment default/d: spec.template.spec: missing: a workload has a pod spec here"
    )
    assert (
        error(tmp_path, "kind: List\nitems: 5\n") == "2:1: document 1: List.items: must be a list"
    )
    assert (
        error(tmp_path, "kind: Pod\nkind: Pod\n") == "2:1: duplicate key 'kind' (first at line 1)"
    )


# --- hostile input: one line, escaped, a place; never a traceback -------------------------------


def test_control_characters_in_names_are_escaped(tmp_path: Path) -> None:
    text = 'kind: Pod\nmetadata: {name: "p\\e[31m\\n", namespace: "\\tns"}\n' + pod_spec(
        "[{name: a, image: 5}]"
    )
    assert error(tmp_path, text) == (
        "4:26: Pod \\tns/p\\x1b[31m\\n: spec.containers[0].image: must be a string, not the number 5"
    )


def test_control_characters_in_keys_are_escaped(tmp_path: Path) -> None:
    text = 'kind: Pod\nmetadata: {name: p}\nspec:\n  nodeSelector: {"a\\u001b]0;x\\u0007": 1}\n' + (
        "  containers: [{name: a, image: nginx}]\n"
    )
    assert error(tmp_path, text) == (
        "4:18: Pod default/p: spec.nodeSelector.a\\x1b]0;x\\x07: labels and values must be strings"
        " (quote numbers)"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[" * 100_000, "1:1001: invalid JSON: exceeded maximum nesting depth"),
        ("- " * 5000 + "x\n", "invalid YAML"),
        ('{"kind": "Pod", ', "2:1: invalid JSON: did not find expected node content"),
        ("kind: Pod\n\tmetadata: {}\n", "invalid YAML"),
    ],
)
def test_malformed_and_deeply_nested_documents(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in error(tmp_path, text)


def test_many_documents_and_a_huge_list(tmp_path: Path) -> None:
    one = "kind: Pod\nmetadata: {name: pNUMBER}\n" + pod_spec()
    text = "---\n".join(one.replace("NUMBER", str(i)) for i in range(2000))
    assert len(workloads(tmp_path, text)) == 2000
    items = [{"kind": "ConfigMap", "metadata": {"name": f"c{i}"}} for i in range(20_000)]
    found = read_manifests(
        [write(tmp_path, json.dumps({"kind": "List", "items": items}), "l.json")]
    )
    assert len(found.skipped) == 20_000 and not found.workloads


def test_too_large_and_not_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(manifests_module, "MAX_MANIFEST_FILE_BYTES", 1000)
    path = write(tmp_path, "# " + "x" * 2000 + "\n")
    with pytest.raises(WorkloadError, match="1000"):
        read_manifests([path])
    with pytest.raises(WorkloadError, match="<stdin>: more than the 1000-byte limit"):
        read_manifests(["-"], stdin=lambda limit: b"x" * limit)
    monkeypatch.undo()
    binary = tmp_path / "b.yaml"
    binary.write_bytes(b"kind: Pod\nmetadata: \xc3\x28\n")
    with pytest.raises(WorkloadError) as caught:
        read_manifests([str(binary)])
    assert str(caught.value) == f"{binary}: not UTF-8 text (byte 20)"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            b'kind: Pod\nmetadata: {name: "a\x00"}\n',
            "2:20: invalid YAML: unacceptable character U+0000",
        ),
        (b"a: \xc3\xa9\xc3\xa9\n b: '\x07'", "2:6: invalid YAML: unacceptable character U+0007"),
        (b"\x1b[31m", "1:1: invalid YAML: unacceptable character U+001B"),
    ],
)
def test_raw_control_characters_have_a_place(tmp_path: Path, raw: bytes, expected: str) -> None:
    """YAML 1.1 section 5.1: control characters must be escaped; the reader's error has
    an offset only (in bytes for libyaml), the message a line and column."""
    path = tmp_path / "c.yaml"
    path.write_bytes(raw)
    with pytest.raises(WorkloadError) as caught:
        read_manifests([str(path)])
    assert str(caught.value).startswith(f"{path}:{expected} (write it as an escape")


# --- read_manifests: files, standard input, ids ----------------------------------------------


def test_standard_input_once(tmp_path: Path) -> None:
    text = "kind: Pod\nmetadata: {name: p}\n" + pod_spec()
    asked: list[int] = []

    def stdin(limit: int) -> bytes:
        asked.append(limit)
        return text.encode()

    found = read_manifests(["-"], stdin=stdin)
    assert [w.place for w in found.workloads] == ["<stdin>:1:1"]
    assert asked == [manifests_module.MAX_MANIFEST_FILE_BYTES + 1]
    with pytest.raises(WorkloadError, match="standard input"):
        read_manifests(["-", "-"], stdin=stdin)
    with pytest.raises(WorkloadError, match="standard input"):
        read_manifests(["-"])


def test_a_workload_defined_twice_names_both_places(tmp_path: Path) -> None:
    one = write(tmp_path, "kind: Pod\nmetadata: {name: p, namespace: ns}\n" + pod_spec(), "a.yaml")
    two = write(
        tmp_path, "---\nkind: Pod\nmetadata: {name: p, namespace: ns}\n" + pod_spec(), "b.yaml"
    )
    with pytest.raises(WorkloadError) as caught:
        read_manifests([one, two])
    assert str(caught.value) == f"{two}:2:1: Pod/ns/p is defined twice (first at {one}:1:1)"
    other = write(
        tmp_path, "kind: Pod\nmetadata: {name: p, namespace: other}\n" + pod_spec(), "c.yaml"
    )
    assert len(read_manifests([one, other]).workloads) == 2  # another namespace, another id


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(WorkloadError) as caught:
        read_manifests([str(tmp_path / "nope.yaml")])
    assert "nope.yaml" in str(caught.value) and "\n" not in str(caught.value)


# --- the command line: input errors are exit 2, before any registry --------------------------

CLI = [
    (
        "kind: Pod\nmetadata: {name: p}\n" + pod_spec("[{name: a, image: 5}]"),
        ":4:26: Pod default/p: spec.containers[0].image: must be a string, not the number 5",
    ),
    ("kind: Service\nmetadata: {name: s}\n", "no workload in"),
    (
        'kind: Pod\nmetadata: {name: "\\e[2J"}\n' + pod_spec("[{name: a}]"),
        ":4:16: Pod default/\\x1b[2J: spec.containers[0].image: missing",
    ),
    ("{", "invalid JSON"),
]


@pytest.mark.parametrize(("text", "expected"), CLI)
def test_check_file_input_errors_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, expected: str
) -> None:
    path = write(tmp_path, text)
    assert main(["check", "-f", path, "--platform", "linux/amd64"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    (line,) = err.splitlines()
    assert line.startswith("pull-planner: error: ") and expected in line
    assert "Traceback" not in err and "\x1b" not in err


def test_a_directory_is_its_manifest_files_by_name_as_kubectl_apply_reads_it(
    tmp_path: Path,
) -> None:
    """kubectl apply -f DIR: the .yaml, .yml and .json files of DIR, by name, not recursively
    (k8s.io/cli-runtime pkg/resource visitor.go FileExtensions)."""
    pod = "apiVersion: v1\nkind: Pod\nmetadata: {{name: {}}}\nspec:\n  containers: [{{name: c, image: x}}]\n"
    (tmp_path / "b.yml").write_text(pod.format("b"))
    (tmp_path / "a.json").write_text(
        json.dumps(
            {
                "kind": "Pod",
                "metadata": {"name": "a"},
                "spec": {"containers": [{"name": "c", "image": "x"}]},
            }
        )
    )
    (tmp_path / "notes.txt").write_text(pod.format("ignored"))
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.yaml").write_text(pod.format("c"))
    found = read_manifests([str(tmp_path)])
    assert [w.name for w in found.workloads] == ["a", "b"]
    with pytest.raises(WorkloadError, match=r"a directory with no \.yaml, \.yml or \.json file"):
        read_manifests([str(_empty(tmp_path))])


def _empty(tmp_path: Path) -> Path:
    empty = tmp_path / "empty"
    empty.mkdir()
    return empty


OWNED = """\
apiVersion: v1
kind: List
items:
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web, namespace: shop}
    spec:
      replicas: 2
      template: {spec: {containers: [{name: web, image: "web:2"}]}}
  - apiVersion: apps/v1
    kind: ReplicaSet
    metadata:
      name: web-7d4b9
      namespace: shop
      ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, controller: true}]
    spec:
      replicas: 2
      template: {spec: {containers: [{name: web, image: "web:2"}]}}
  - apiVersion: apps/v1
    kind: ReplicaSet
    metadata: {name: old-5c6f8, namespace: shop}
    spec:
      replicas: 0
      template: {spec: {containers: [{name: web, image: "web:1"}]}}
  - apiVersion: v1
    kind: Pod
    metadata:
      name: web-7d4b9-x2x
      namespace: shop
      ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-7d4b9, controller: true}]
    spec: {containers: [{name: web, image: "web:2"}]}
  - apiVersion: v1
    kind: Pod
    metadata:
      name: orphan
      namespace: shop
      ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: gone, controller: true}]
    spec: {containers: [{name: web, image: "web:2"}]}
"""


def test_kubectl_get_all_checks_each_rollout_once(tmp_path: Path) -> None:
    """kubectl get all: a Deployment, its ReplicaSet (ownerReferences controller: true, apimachinery
    meta/v1 OwnerReference) and its Pods are one rollout; an old ReplicaSet at replicas: 0 runs
    nothing; a Pod whose owner is not in the input is checked on its own."""
    found = read_manifests([write(tmp_path, OWNED)])
    assert [w.id for w in found.workloads] == ["Deployment/shop/web", "Pod/shop/orphan"]
    assert [(s.what, s.reason) for s in found.skipped] == [
        ("ReplicaSet shop/web-7d4b9", "owned by Deployment/shop/web: checked there"),
        ("ReplicaSet shop/old-5c6f8", "replicas: 0 starts no pod"),
        ("Pod shop/web-7d4b9-x2x", "owned by ReplicaSet/shop/web-7d4b9: checked there"),
    ]


def test_helm_test_hooks_are_not_part_of_the_rollout(tmp_path: Path) -> None:
    """helm template prints test hooks (helm.sh/hook: test; test-success before Helm 3);
    they run on helm test only (helm docs, Chart Tests)."""
    text = (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: t\n  annotations: {helm.sh/hook: test}\n"
        "spec: {containers: [{name: c, image: x}]}\n---\n"
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n"
        "  annotations: {helm.sh/hook: 'pre-install,pre-upgrade'}\n"
        "spec: {template: {spec: {containers: [{name: c, image: x}]}}}\n"
    )
    found = read_manifests([write(tmp_path, text)])
    assert [w.id for w in found.workloads] == ["Job/default/migrate"]  # install hooks run
    assert found.skipped[0].reason == "a Helm test hook: it runs on helm test, not in a rollout"


def test_the_same_file_twice_is_read_once_and_duplicate_container_names_are_refused(
    tmp_path: Path,
) -> None:
    """kubectl apply -f a -f a applies a once; ValidatePodSpec refuses a container name used
    twice (across containers and initContainers): 'Duplicate value'."""
    path = write(
        tmp_path, "kind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: x}]}\n"
    )
    assert len(read_manifests([path, path]).workloads) == 1
    twice = "kind: Pod\nmetadata: {name: p}\nspec:\n  initContainers: [{name: c, image: x}]\n  containers: [{name: c, image: y}]\n"
    with pytest.raises(
        WorkloadError,
        match=r":4:21: Pod default/p: spec.initContainers\[0\].name: duplicate container name 'c'",
    ):
        read_manifests([write(tmp_path, twice, "twice.yaml")])


def test_a_tag_beside_a_digest_is_a_label_so_both_spellings_are_one_image(tmp_path: Path) -> None:
    """distribution/reference: a reference may carry both; Docker, containerd and the kubelet
    pull by the digest, so nginx:1.27@sha256:D and nginx@sha256:D are read once."""
    digest = "sha256:" + "ab" * 32
    text = (
        "kind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
        f"    - {{name: a, image: 'nginx:1.27@{digest}'}}\n"
        f"    - {{name: b, image: 'nginx@{digest}'}}\n"
    )
    (pod,) = workloads(tmp_path, text)
    assert {c.reference for c in pod.containers} == {f"docker.io/library/nginx@{digest}"}
    assert pod.containers[0].image == f"nginx:1.27@{digest}"  # shown as written
