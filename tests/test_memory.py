"""Memory follows what is read: big inventories and manifest streams are read
without a node tree (a fast reading, positions only on a problem).

Each bound is checked in a child process, on a scaled-down input, by the growth
of its peak resident memory over what the interpreter had before reading.
"""

from __future__ import annotations

import datetime
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from planner.model.documents import NotPlain, fast_yaml, fast_yaml_documents
from planner.model.yamlfile import load, load_all

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/status").exists(), reason="peak memory read from /proc (Linux)"
)
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))


def _positions(value: object) -> object:
    """``value`` with every mapping's and sequence's own position, as a comparable tree."""
    if isinstance(value, dict):
        line_column = (getattr(value, "line", 0), getattr(value, "column", 0))
        return ("map", line_column, [(k, _positions(v)) for k, v in value.items()])
    if isinstance(value, list):
        line_column = (getattr(value, "line", 0), getattr(value, "column", 0))
        return ("list", line_column, [_positions(v) for v in value])
    return (type(value).__name__, value)


PLAIN = [
    "a: 1\nb: [x, 2.5, true, ~, null, '', \"q\", 0o17, 0x1F, 1_000, .inf, -.nan]\n",
    "items:\n- kind: Node\n  metadata: {name: n1, labels: {a: b}}\n- {}\n- []\n",
    "when: 2024-01-02\nat: 2024-01-02T03:04:05Z\nno: no\non: Yes\n",
    "2: one\n2.5: two\nnull: three\ntrue: four\n",
    "",
    "# only a comment\n",
    "plain\n",
    "- - - deep\n",
    "key:\n",
    "s: |\n  block\n  text\nf: >\n  folded\n",
    '{"json": [1, 2, {"x": null}]}',
]
DECLINED = [
    "a: &x 1\nb: *x\n",
    "base: &b {x: 1}\nc: {<<: *b, y: 2}\n",
    "a: !!str 1\n",
    "a: 1\na: 2\n",
    "? [1, 2]\n: x\n",
    "a: =\n",
    "1: one\ntrue: two\n",
    "a: [\n",
    "a: " + "[" * 150 + "]" * 150 + "\n",
]


@pytest.mark.parametrize("text", PLAIN)
def test_fast_yaml_reads_what_the_positioned_reader_reads(text: str) -> None:
    fast, slow = fast_yaml(text), load(text, "t.yaml")
    assert _positions(fast) == _positions(slow)
    if isinstance(slow, float) or (isinstance(slow, dict) and any(v != v for v in slow)):
        return
    assert fast == slow


def test_fast_yaml_reads_a_stream_as_load_all() -> None:
    text = "a: 1\n---\n---\n- x\n--- plain\n...\n"
    assert [_positions(d) for d in fast_yaml_documents(text)] == [
        _positions(d) for d in load_all(text, "t.yaml")
    ]
    with pytest.raises(NotPlain):
        fast_yaml(text)  # one document is asked for


@pytest.mark.parametrize("text", DECLINED)
def test_fast_yaml_declines_what_the_positioned_reader_decides(text: str) -> None:
    with pytest.raises(NotPlain):
        fast_yaml(text)


def test_fast_yaml_keeps_types() -> None:
    data = fast_yaml("d: 2024-01-02\nn: 7\nf: 1.5\nb: false\n")
    assert data == {"d": datetime.date(2024, 1, 2), "n": 7, "f": 1.5, "b": False}


def _growth(code: str, setup: str = "") -> int:
    """Bytes the peak resident memory of a child grows by while running ``code`` (after
    ``setup``): VmHWM, which starts afresh at exec (ru_maxrss keeps the forking parent's)."""
    program = (
        "import sys\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "def peak():\n"
        "    with open('/proc/self/status') as status:\n"
        "        return next(int(l.split()[1]) for l in status if l.startswith('VmHWM:'))\n"
        f"{setup}\n"
        "before = peak()\n"
        f"{code}\n"
        "print(f'growth={(peak() - before) * 1024}', file=sys.stderr, flush=True)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return int(re.findall(r"^growth=(\d+)$", done.stderr, re.M)[-1])


def _nodes(count: int) -> dict[str, object]:
    import inventory

    items = [inventory.node(i, inventory.KINDS[i % len(inventory.KINDS)]) for i in range(count)]
    return {"apiVersion": "v1", "kind": "List", "items": items}


def test_a_kubectl_yaml_inventory_costs_at_most_8_times_its_size(tmp_path: Path) -> None:
    import yaml

    path = tmp_path / "nodes.yaml"
    path.write_text(yaml.safe_dump(_nodes(4000), sort_keys=False))
    size = path.stat().st_size
    setup = (
        "from planner.hosts.inventory import load_inventory\n"
        "import yaml, planner.model.documents, planner.model.yamlfile"
    )
    growth = _growth(f"assert len(load_inventory({str(path)!r})) == 4000", setup)
    assert growth <= 8 * size, f"{growth / size:.1f} times the file"


def test_a_broken_yaml_inventory_still_names_the_place(tmp_path: Path) -> None:
    import yaml

    from planner.hosts.inventory import load_inventory
    from planner.hosts.records import InvalidInventory

    nodes = _nodes(50)
    nodes["items"][7]["status"]["nodeInfo"]["containerRuntimeVersion"] = "nope"  # type: ignore[index]
    path = tmp_path / "nodes.yaml"
    path.write_text(yaml.safe_dump(nodes, sort_keys=False))
    with pytest.raises(InvalidInventory, match=r"nodes\.yaml:\d+:\d+: .*items\[7\]"):
        load_inventory(path)
    assert json.dumps(nodes)  # the input stays plain data


def _stream(count: int) -> str:
    import random

    import workloads
    import yaml

    rng = random.Random(3)
    refs = [f"registry.example:5000/img{n}:1.{n}" for n in range(20)]
    return "---\n".join(
        yaml.safe_dump(workloads.workload(n, refs, rng), sort_keys=False) for n in range(count)
    )


def test_a_manifest_stream_costs_at_most_8_times_its_size(tmp_path: Path) -> None:
    path = tmp_path / "stream.yaml"
    path.write_text(_stream(4000))
    size = path.stat().st_size
    setup = "from planner.workloads.files import read_manifests\nimport yaml, yaml.events"
    growth = _growth(f"read_manifests({str(path)!r})", setup)
    assert growth <= 8 * size, f"{growth / size:.1f} times the file"


def test_a_broken_manifest_stream_names_the_place_and_compose_keeps_its_own(
    tmp_path: Path,
) -> None:
    from planner.workloads.files import read_manifests
    from planner.workloads.model import WorkloadError

    text = _stream(30)
    path = tmp_path / "broken.yaml"
    path.write_text(text.replace("image: registry.example:5000/img", "image: 7 # ", 1))
    with pytest.raises(WorkloadError, match=r"broken\.yaml:\d+:\d+: .*image: must be a string"):
        read_manifests(path)
    compose = tmp_path / "compose.yaml"
    compose.write_text("services:\n  web:\n    image: nginx:1.27\n  db:\n    image: postgres\n")
    found = read_manifests(compose)
    assert [c.place for w in found.workloads for c in w.containers] == [
        f"{compose}:2:3",
        f"{compose}:4:3",
    ]


def test_index_by_hosts_memory_follows_distinct_verdicts(tmp_path: Path) -> None:
    """crane names each host's os.version in its verdicts on Windows entries: every host an
    answer of its own, but the entries the host's revision does not change (9 in 10 here)
    share their records across answers."""
    import fleetgen

    fleetgen.write_index(tmp_path, 4000)
    hosts = fleetgen.write_hosts(tmp_path, 100, rules="crane")
    small = fleetgen.write_hosts(tmp_path, 2, rules="crane")
    argv = ["check", str(tmp_path / "index.json"), "--no-plan", "--format", "json", "--hosts"]
    setup = f"from planner.cli.main import main\nmain({[*argv, str(small)]!r})"  # imports
    growth = _growth(f"assert main({[*argv, str(hosts)]!r}) == 1", setup)
    assert growth <= 32 << 20, f"{growth >> 20} MiB (53 MiB before records were shared)"
