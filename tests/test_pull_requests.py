"""pull_requests in every result: the rule data's numbers, counted over what the host lacks."""

from __future__ import annotations

from planner.app.plan import build_plan
from planner.app.resolve import resolve
from planner.policy.loader import load_rules
from planner.sources import open_source
from tests.test_local_cli import WEBAPP


def _plan(rules: str, present: frozenset[str] = frozenset()) -> dict[str, object]:
    source = open_source(WEBAPP)
    resolution = resolve(source, "linux/arm64", load_rules(rules))
    made = build_plan(source, resolution, present=present)
    return made.to_dict()


def test_an_index_costs_the_tag_and_the_child_and_each_blob() -> None:
    data = _plan("containerd@1.6.20")
    blobs = len({b["digest"] for b in data["blobs"]})  # type: ignore[union-attr]
    assert data["pull_requests"] == {"manifest_get": 2, "manifest_head": 1, "blob_get": blobs}
    assert _plan("podman@4.3.1")["pull_requests"] == {
        "manifest_get": 2,
        "manifest_head": 0,
        "blob_get": blobs,
    }


def test_present_blobs_and_held_child_manifests_are_not_asked_again() -> None:
    first = _plan("containerd@1.6.20")
    child = first["manifest"]["digest"]  # type: ignore[index]
    blobs = [b["digest"] for b in first["blobs"]]  # type: ignore[union-attr]
    held = frozenset([child, blobs[0]])
    again = _plan("containerd@1.6.20", held)
    assert again["pull_requests"] == {
        "manifest_get": 1,
        "manifest_head": 1,
        "blob_get": len(set(blobs)) - 1,
    }
    # containers/image asks for the instance again whatever storage holds
    assert _plan("podman@4.3.1", held)["pull_requests"]["manifest_get"] == 2  # type: ignore[index]


def test_a_single_image_tag_has_no_child() -> None:
    source = open_source(WEBAPP)
    resolution = resolve(source, "linux/arm64", load_rules("docker@20.10.24"))
    assert resolution.selected is not None
    single = open_source(WEBAPP.rsplit(":", 1)[0] + "@" + resolution.selected.digest)
    alone = resolve(single, "linux/arm64", load_rules("docker@20.10.24"))
    assert alone.index is None
    requests = alone.requests()
    assert requests is not None
    assert requests.to_dict() == {"manifest_get": 1, "manifest_head": 1, "blob_get": None}
