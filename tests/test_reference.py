"""Image references as Docker parses them (distribution/reference normalize_test.go, reference_test.go)."""

from __future__ import annotations

import pytest

from planner import InvalidReference
from planner.model.reference import Reference

DIGEST = "sha256:" + "e" * 64

VALID = [
    # text, registry, repository, tag, digest, api host
    ("ubuntu", "docker.io", "library/ubuntu", "latest", None, "registry-1.docker.io"),
    ("ubuntu:24.04", "docker.io", "library/ubuntu", "24.04", None, "registry-1.docker.io"),
    ("library/ubuntu", "docker.io", "library/ubuntu", "latest", None, "registry-1.docker.io"),
    ("docker.io/ubuntu", "docker.io", "library/ubuntu", "latest", None, "registry-1.docker.io"),
    (
        "index.docker.io/ubuntu",
        "docker.io",
        "library/ubuntu",
        "latest",
        None,
        "registry-1.docker.io",
    ),
    ("dmcgowan/myapp", "docker.io", "dmcgowan/myapp", "latest", None, "registry-1.docker.io"),
    (
        "docker.io/dmcgowan/myapp:1",
        "docker.io",
        "dmcgowan/myapp",
        "1",
        None,
        "registry-1.docker.io",
    ),
    ("localhost/app", "localhost", "app", "latest", None, "localhost"),
    ("localhost:5000/a/b:t", "localhost:5000", "a/b", "t", None, "localhost:5000"),
    ("127.0.0.1:5000/app", "127.0.0.1:5000", "app", "latest", None, "127.0.0.1:5000"),
    ("[::1]:5000/app", "[::1]:5000", "app", "latest", None, "[::1]:5000"),
    ("example.com/app", "example.com", "app", "latest", None, "example.com"),
    (
        "Example.com/app",
        "Example.com",
        "app",
        "latest",
        None,
        "Example.com",
    ),  # domains may be upper case
    (
        "mcr.microsoft.com/dotnet/runtime:8.0",
        "mcr.microsoft.com",
        "dotnet/runtime",
        "8.0",
        None,
        "mcr.microsoft.com",
    ),
    ("ghcr.io/o/app@" + DIGEST, "ghcr.io", "o/app", None, DIGEST, "ghcr.io"),
    ("ghcr.io/o/app:1.0@" + DIGEST, "ghcr.io", "o/app", "1.0", DIGEST, "ghcr.io"),  # digest wins
    ("a.b/c__d/e-----f/g.h_i", "a.b", "c__d/e-----f/g.h_i", "latest", None, "a.b"),
    ("app:" + "t" * 128, "docker.io", "library/app", "t" * 128, None, "registry-1.docker.io"),
]


@pytest.mark.parametrize(("text", "registry", "repository", "tag", "digest", "api"), VALID)
def test_parse(
    text: str, registry: str, repository: str, tag: str | None, digest: str | None, api: str
) -> None:
    ref = Reference.parse(text)
    assert (ref.registry, ref.repository, ref.tag, ref.digest, ref.api_host) == (
        registry,
        repository,
        tag,
        digest,
        api,
    )
    assert ref.target == (digest or tag)
    assert Reference.parse(str(ref)) == ref


INVALID = [
    ("", "empty"),
    ("Ubuntu", "must be lowercase"),
    ("docker.io/Library/ubuntu", "must be lowercase"),
    ("app:bad!tag", "invalid tag"),
    ("app:.dot", "invalid tag"),
    ("app:" + "t" * 129, "invalid tag"),
    ("app@sha256:xyz", "invalid digest"),
    ("app@sha256:" + "a" * 63, "invalid sha256 digest"),
    ("app@md5:" + "a" * 32, "unsupported digest algorithm"),
    ("a" * 64, "image ID, not a name"),
    ("foo//bar", "invalid repository name"),
    ("foo/bar/", "invalid repository name"),
    ("-foo/bar", "invalid repository name"),
    ("foo_-bar", "invalid repository name"),
    ("example.com:port/app", "invalid registry host"),
    ("a/" * 130 + "b", "more than 255 characters"),
]


@pytest.mark.parametrize(("text", "message"), INVALID)
def test_invalid(text: str, message: str) -> None:
    with pytest.raises(InvalidReference) as info:
        Reference.parse(text)
    assert message in str(info.value)
    assert "\n" not in str(info.value)
