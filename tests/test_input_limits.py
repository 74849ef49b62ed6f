"""Inputs that amplify: work and output bounded by the input, one line when refused.

Aliases (one string named a thousand times, nested lists of aliases, merge-key
bombs) may expand a YAML document only to a multiple of its size; Compose
interpolation runs in time linear in its text and writes within a budget; a
list read from outside (os.features, an index's entries) is shown by its first
items. Each hostile case is built small and asserts the bound is enforced
quickly, rather than running the blow-up. Also YAML merge keys: the mapping's
own keys win over merged ones (https://yaml.org/type/merge.html).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from planner.model.platform import Platform
from planner.model.text import MAX_LISTED, listed
from planner.model.yamlfile import MIN_EXPANSION, YamlError, load, load_all
from planner.select.explain import no_image_error, reason
from planner.select.verdicts import Code, Verdict
from planner.workloads.compose import _dotenv
from planner.workloads.files import read_manifests
from planner.workloads.interpolation import interpolate
from planner.workloads.model import WorkloadError
from tests.helpers import OciLayout, cli

# --------------------------------------------------------------------------- aliases

BIG = "x" * (64 << 10)

# Each expands to more than MIN_EXPANSION characters from a few KiB (or bytes) of text.
AMPLIFIERS = {
    "one string named many times": (
        f"labels:\n  k: &big {BIG}\n" + "".join(f"  k{i}: *big\n" for i in range(100)),
        65,
    ),
    "nested lists of aliases": (
        "a: &a ["
        + ", ".join(["xxxxxxxxxx"] * 10)
        + "]\n"
        + "".join(
            f"{n}: &{n} [" + ", ".join([f"*{p}"] * 10) + "]\n"
            for p, n in zip("abcdefg", "bcdefgh", strict=True)
        ),
        6,
    ),
    "merge-key bomb": (
        "a: &a {x1: 1, x2: 2, x3: 3, x4: 4, x5: 5, x6: 6, x7: 7, x8: 8, x9: 9}\n"
        + "".join(
            f"{n}: &{n} {{<<: [" + ", ".join([f"*{p}"] * 9) + "]}\n"
            for p, n in zip("abcdefghi", "bcdefghij", strict=True)
        ),
        7,
    ),
    "aliases as keys": (
        f"a: &big {BIG}\nb:\n" + "".join(f"  - {{*big : {i}}}\n" for i in range(100)),
        65,
    ),
}


@pytest.mark.parametrize("name", sorted(AMPLIFIERS))
def test_aliases_may_not_expand_a_document_beyond_the_limit(name: str) -> None:
    text, line = AMPLIFIERS[name]
    started = time.monotonic()
    with pytest.raises(YamlError) as caught:
        load_all(text, "f.yaml")
    assert time.monotonic() - started < 2
    message = str(caught.value)
    assert message.startswith(f"f.yaml:{line}:"), message
    assert "aliases expand to more than 4 MiB" in message
    assert "\n" not in message


def test_aliases_within_the_limit_are_shared_not_copied() -> None:
    text = f"labels:\n  k: &big {'x' * 1000}\n" + "".join(f"  k{i}: *big\n" for i in range(1000))
    assert 8 * len(text) < 1001 * 1000 < MIN_EXPANSION  # the floor lets a small file do it
    labels = load(text, "f.yaml")["labels"]
    assert len(labels) == 1001 and labels["k7"] is labels["k"]


def test_a_profile_whose_aliases_expand_too_far_exits_2(tmp_path: Path) -> None:
    profile = tmp_path / "hosts.yaml"
    profile.write_text(
        "hosts:\n  - name: a\n    platform: linux/amd64\n    labels:\n"
        f"      k: &big {BIG}\n" + "".join(f"      k{i}: *big\n" for i in range(100))
    )
    code, out, err = cli(
        "check", "oci:examples/webapp:2.1", "--hosts", str(profile), "--format", "json"
    )
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        f"pull-planner: error: {profile}:68:7: invalid YAML: aliases expand to more than 4 MiB"
        " (the larger of 4 MiB and 8 times the file's size)"
    ]


# --------------------------------------------------------------------------- merge keys


def test_a_mappings_own_keys_win_over_merged_ones() -> None:
    document = load(
        "x-base: &base {image: A, platform: linux/amd64}\n"
        "x-more: &more {image: C, extra: 1, platform: P}\n"
        "services:\n"
        "  web: {<<: *base, image: B}\n"
        "  two:\n"
        "    <<: [*base, *more]\n"
        "    image: D\n",
        "f.yaml",
    )
    web, two = document["services"]["web"], document["services"]["two"]
    assert web == {"image": "B", "platform": "linux/amd64"}
    assert (web.line_of("image"), web.column_of("image")) == (4, 20)
    assert (web.line_of("platform"), web.column_of("platform")) == (1, 26)  # where written
    assert two == {"image": "D", "platform": "linux/amd64", "extra": 1}  # earlier merge wins
    assert [two.line_of(k) for k in two] == [1, 2, 7]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: 1\nb: 2\na: 3\n", "f.yaml:3:1: duplicate key 'a' (first at line 1)"),
        (
            "b: &b {x: 1}\nc: {<<: *b, x: 2, x: 3}\n",
            "f.yaml:2:19: duplicate key 'x' (first at line 2)",
        ),
        (
            "b: &b {x: 1}\nc: {<<: *b, <<: *b}\n",
            "f.yaml:2:13: duplicate key '<<' (first at line 2)",
        ),
        (
            "c: {<<: [{x: 1}, 3]}\n",
            "f.yaml:1:18: invalid YAML: a merge key ('<<') takes a mapping or a list of mappings",
        ),
    ],
)
def test_only_a_key_written_twice_is_a_duplicate(text: str, message: str) -> None:
    with pytest.raises(YamlError) as caught:
        load(text, "f.yaml")
    assert str(caught.value) == message


def test_compose_services_extend_a_base_with_a_merge_key(tmp_path: Path) -> None:
    path = tmp_path / "compose.yaml"
    path.write_text(
        "x-base: &base {image: nginx:1.27, platform: linux/arm64}\n"
        "services:\n"
        "  web: {<<: *base, image: 'registry.example.com/web:2'}\n"
        "  proxy:\n"
        "    <<: *base\n"
    )
    web, proxy = read_manifests([str(path)]).workloads
    assert web.containers[0].image == "registry.example.com/web:2"
    assert proxy.containers[0].image == "nginx:1.27"
    assert proxy.containers[0].platform == Platform.parse("linux/arm64")


# --------------------------------------------------------------------------- interpolation


def test_interpolation_of_hostile_braces_is_refused_quickly() -> None:
    """Each ${A:-{ opened a default that ran to the line's end: a scan per variable
    to the end of the line (quadratic), nested as deep as the stack went."""
    started = time.monotonic()
    with pytest.raises(ValueError, match="variables nested too deeply to interpolate"):
        interpolate("${A:-{}" * 30_000, {})
    assert time.monotonic() - started < 1


def test_dotenv_values_that_double_each_line_are_refused(tmp_path: Path) -> None:
    lines = ["A0=xxxxxxxxxx"] + [f"A{i + 1}=${{A{i}}}${{A{i}}}" for i in range(22)]
    (tmp_path / ".env").write_text("\n".join(lines) + "\n")
    with pytest.raises(WorkloadError) as caught:
        _dotenv(tmp_path, {})
    assert str(caught.value) == (
        f"{tmp_path / '.env'}:19: variables expand to more than 4 MiB"
        " (the larger of 4 MiB and 8 times the .env file's size)"
    )


# --------------------------------------------------------------------------- lists shown


def test_lists_from_outside_are_shown_by_their_first_items() -> None:
    features = tuple(f"f{i}" for i in range(100_000))
    assert listed(features[:MAX_LISTED]) == ", ".join(features[:MAX_LISTED])
    assert listed(features, "+").endswith("+f15+… (99,984 more)")
    platform = Platform(os="windows", architecture="amd64", os_features=features)
    assert len(platform.describe()) < 200
    missing = Verdict(Code.MISSING_OS_FEATURES, args={"missing": features, "host": features})
    assert len(reason(missing)) < 400
    assert len(no_image_error("src", Platform.parse("linux/amd64"), "docker", features)) < 300


def test_a_warning_about_an_image_with_many_os_features_is_short(tmp_path: Path) -> None:
    layout = OciLayout(tmp_path / "layout")
    platform = {
        "os": "windows",
        "architecture": "amd64",
        "os.version": "10.0.17763.1",
        "os.features": [f"{i:x}" for i in range(100_000)],
    }
    layout.tag(layout.image(platform), "1")
    code, out, err = cli("resolve", f"oci:{tmp_path / 'layout'}:1", "--platform", "linux/amd64")
    assert code == 1, err  # a single Windows image on a Linux host: pulled, will not run
    assert len(out) + len(err) < 3000 and "(99,984 more)" in err
    code, out, _ = cli(
        "resolve", f"oci:{tmp_path / 'layout'}:1", "--platform", "linux/amd64", "--format", "json"
    )
    assert len(json.loads(out)["selected"]["platform"]["os.features"]) == 100_000  # data: whole
