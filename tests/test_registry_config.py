"""Registry configuration readers: each format's route, and one clear line per bad input."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from planner.hosts.registries import (
    ContainerdHosts,
    ContainersRegistries,
    DockerDaemon,
    InvalidRegistryConfig,
    K3sRegistries,
    load_registry_config,
)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def endpoints(config: object, ref: str, digest: bool = False) -> list[str]:
    route = config.route(ref)  # type: ignore[attr-defined]
    return [h.endpoint for h in route.usable(digest)]


# ---------------------------------------------------------------- containerd


def test_containerd_hosts_in_order_then_server(tmp_path: Path) -> None:
    write(
        tmp_path / "docker.io" / "hosts.toml",
        'server = "https://registry-1.docker.io"\n\n'
        '[host."http://127.0.0.1:5001"]\n  capabilities = ["pull", "resolve"]\n\n'
        '[host."https://digest-cache:5000"]\n  capabilities = ["pull"]\n',
    )
    config = load_registry_config(tmp_path)
    assert isinstance(config, ContainerdHosts)
    route = config.route("alpine:3.20")
    assert [h.endpoint for h in route.hops] == [
        "127.0.0.1:5001",
        "digest-cache:5000",
        "registry-1.docker.io:443",
    ]
    assert endpoints(config, "alpine:3.20") == ["127.0.0.1:5001", "registry-1.docker.io:443"]
    assert len(endpoints(config, "alpine@sha256:" + "a" * 64, digest=True)) == 3
    assert str(route.hops[0].origin) == f"{tmp_path}/docker.io/hosts.toml:3:1"
    assert route.hops[0].repository == "library/alpine"


def test_containerd_port_directory_and_default(tmp_path: Path) -> None:
    write(tmp_path / "reg_5000_" / "hosts.toml", '[host."http://127.0.0.1:5002"]\n')
    write(tmp_path / "_default" / "hosts.toml", 'server = "https://fallback.example"\n')
    config = load_registry_config(tmp_path)
    assert endpoints(config, "reg:5000/app:1") == ["127.0.0.1:5002", "reg:5000"]
    assert endpoints(config, "ghcr.io/o/app:1") == ["fallback.example:443"]


def test_containerd_bad_inputs(tmp_path: Path) -> None:
    write(
        tmp_path / "a" / "docker.io" / "hosts.toml",
        '[host."https://m"]\n  capabilites = ["pull"]\n',
    )
    with pytest.raises(InvalidRegistryConfig, match=r"hosts.toml:2:3: .*capabilites: unknown key"):
        load_registry_config(tmp_path / "a")
    write(
        tmp_path / "b" / "docker.io" / "hosts.toml",
        '[host."https://m"]\n  capabilities = ["fetch"]\n',
    )
    with pytest.raises(InvalidRegistryConfig, match=r":2:3: .*unknown capability 'fetch'"):
        load_registry_config(tmp_path / "b")
    write(tmp_path / "c" / "docker.io" / "hosts.toml", 'server = "https://x"\n[host."https://m"\n')
    with pytest.raises(
        InvalidRegistryConfig, match=r"hosts.toml:2:\d+: as containerd hosts.toml: not TOML"
    ):
        load_registry_config(tmp_path / "c")
    (tmp_path / "d").mkdir()
    write(tmp_path / "d" / "ok" / "hosts.toml", 'server = "https://x"\n')
    os.symlink(tmp_path / "d" / "loop", tmp_path / "d" / "loop")
    with pytest.raises(InvalidRegistryConfig, match="symlink loop"):
        load_registry_config(tmp_path / "d")


# ---------------------------------------------------------------- containers


CONF = """\
unqualified-search-registries = ["registry.fedoraproject.org", "docker.io"]
short-name-mode = "permissive"

[[registry]]
prefix = "docker.io"
location = "docker.io"

[[registry.mirror]]
location = "127.0.0.1:5001"
insecure = true

[[registry.mirror]]
location = "127.0.0.1:5002/hub"
pull-from-mirror = "digest-only"

[[registry]]
location = "bad.example"
blocked = true
"""


def test_containers_mirrors_pull_from_mirror_and_rewrite(tmp_path: Path) -> None:
    config = load_registry_config(write(tmp_path / "registries.conf", CONF))
    assert isinstance(config, ContainersRegistries)
    route = config.route("docker.io/library/alpine:3.20")
    assert [(h.endpoint, h.name, h.tags, h.digests) for h in route.hops] == [
        ("127.0.0.1:5001", "127.0.0.1:5001/library/alpine", True, True),
        ("127.0.0.1:5002", "127.0.0.1:5002/hub/library/alpine", False, True),
        ("registry-1.docker.io:443", "docker.io/library/alpine", True, True),
    ]
    assert str(route.hops[0].origin) == f"{tmp_path}/registries.conf:8:1"
    assert endpoints(config, "docker.io/library/alpine:3.20") == [
        "127.0.0.1:5001",
        "registry-1.docker.io:443",
    ]
    with pytest.raises(InvalidRegistryConfig, match="every source is blocked"):
        config.route("bad.example/app:1")


def test_containers_short_names_dropins_and_aliases(tmp_path: Path) -> None:
    write(tmp_path / "registries.conf", CONF)
    write(
        tmp_path / "registries.conf.d" / "000-shortnames.conf",
        '[aliases]\n"alpine" = "docker.io/library/alpine"\n',
    )
    config = load_registry_config(tmp_path)
    route = config.route("alpine:3.20")
    assert "alias" in route.note and str(route.reference) == "docker.io/library/alpine:3.20"
    route = config.route("fedora:40")
    assert next(h.endpoint for h in route.hops) == "registry.fedoraproject.org:443"
    write(tmp_path / "registries.conf.d" / "999-enforce.conf", 'short-name-mode = "enforcing"\n')
    with pytest.raises(
        InvalidRegistryConfig, match=r"999-enforce.conf:1:1: .*short name 'fedora' is ambiguous"
    ):
        load_registry_config(tmp_path).route("fedora:40")


def test_containers_bad_inputs(tmp_path: Path) -> None:
    bad = write(
        tmp_path / "r.conf",
        '[[registry]]\nlocation = "x.io"\n[[registry.mirror]]\nlocation = "https://m.io"\n',
    )
    with pytest.raises(InvalidRegistryConfig, match=r"r.conf:3:1: .*a location has no scheme"):
        load_registry_config(bad)
    bad = write(tmp_path / "s.conf", '[[registry]]\nlocation = "x.io"\npull-from-mirror = "all"\n')
    with pytest.raises(
        InvalidRegistryConfig, match=r"s.conf:3:1: .*belongs in \[\[registry.mirror\]\]"
    ):
        load_registry_config(bad)


# ---------------------------------------------------------------- docker, k3s


def test_docker_mirrors_serve_docker_hub_only(tmp_path: Path) -> None:
    path = write(
        tmp_path / "daemon.json", '{\n  "registry-mirrors": ["http://127.0.0.1:5001"]\n}\n'
    )
    config = load_registry_config(path)
    assert isinstance(config, DockerDaemon)
    assert endpoints(config, "alpine") == ["127.0.0.1:5001", "registry-1.docker.io:443"]
    assert endpoints(config, "ghcr.io/o/app:1") == ["ghcr.io:443"]
    bad = write(tmp_path / "bad.json", '{\n  "registry-mirrors": ["127.0.0.1:5001"]\n}\n')
    with pytest.raises(InvalidRegistryConfig, match=r"bad.json:2:24: .*has no scheme"):
        load_registry_config(bad)


def test_k3s_endpoints_and_rewrite(tmp_path: Path) -> None:
    path = write(
        tmp_path / "registries.yaml",
        'mirrors:\n  docker.io:\n    endpoint: ["http://127.0.0.1:5001", "https://registry-1.docker.io"]\n'
        '    rewrite:\n      "^library/(.*)": "mirrored/$1"\n',
    )
    config = load_registry_config(path)
    assert isinstance(config, K3sRegistries)
    route = config.route("alpine:3.20")
    assert [(h.endpoint, h.repository) for h in route.hops] == [
        ("127.0.0.1:5001", "mirrored/alpine"),
        ("registry-1.docker.io:443", "library/alpine"),
    ]


def test_unrecognised(tmp_path: Path) -> None:
    with pytest.raises(InvalidRegistryConfig, match="not a registry configuration"):
        load_registry_config(write(tmp_path / "x.json", '{"log-driver": "json-file"}'))


@pytest.mark.parametrize(
    ("files", "rules", "reference", "message"),
    [
        (
            {"certs.d/docker.io/hosts.toml": '[host."https://m"]\n  capabilities = ["fetch"]\n'},
            "containerd",
            "alpine",
            r"certs.d/docker.io/hosts.toml:2:3: as containerd hosts.toml: .*unknown capability 'fetch'",
        ),
        (
            {"daemon.json": '{"registry-mirrors": ["mirror.example"]}'},
            "docker",
            "alpine",
            r"daemon.json:1:23: .*has no scheme",
        ),
        (
            {
                "registries.conf": 'unqualified-search-registries = ["a.io", "b.io"]\nshort-name-mode = "enforcing"\n'
            },
            "podman",
            "app",
            r"registries.conf:2:1: .*short name 'app' is ambiguous under short-name-mode enforcing",
        ),
        (
            {"registries.conf": '[[registry]]\nlocation = "bad.example"\nblocked = true\n'},
            "podman",
            "bad.example/app:1",
            r"every source is blocked: bad.example/app \(.*registries.conf:2:1\)",
        ),
        (
            {"registries.conf": '[[registry]]\nlocation = "x.io"\n'},
            "containerd",
            "x.io/app",
            r"a registries.conf \(registries-conf\), which containerd does not read",
        ),
    ],
)
def test_cli_bad_configuration_is_one_line_exit_2(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    files: dict[str, str],
    rules: str,
    reference: str,
    message: str,
) -> None:
    import re

    from planner.cli import main

    for name, text in files.items():
        write(tmp_path / name, text)
    config = tmp_path / next(iter(files)).split("/", 1)[0]
    code = main(
        [
            "resolve",
            reference,
            "--platform",
            "linux/arm64",
            "--rules",
            rules,
            "--registry-config",
            str(config),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert re.search(message, err), err


def test_containerd_config_legacy_mirrors(tmp_path: Path) -> None:
    path = write(
        tmp_path / "config.toml",
        'version = 2\n\n[plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]\n'
        '  endpoint = ["http://127.0.0.1:5001", "https://cache.example/prefix"]\n',
    )
    config = load_registry_config(path)
    route = config.route("alpine:3.20")
    assert [(h.endpoint, h.path) for h in route.hops] == [
        ("127.0.0.1:5001", "/v2"),
        ("cache.example:443", "/prefix"),
        ("registry-1.docker.io:443", "/v2"),
    ]
    assert str(route.hops[0].origin) == f"{path}:4:3"
    both = write(
        tmp_path / "both.toml",
        '[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"\n'
        '[plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]\n  endpoint = ["https://m"]\n',
    )
    with pytest.raises(InvalidRegistryConfig, match=r"both.toml:2:3: .*cannot be combined"):
        load_registry_config(both)


def test_cri_o_short_name_mode_by_release(tmp_path: Path) -> None:
    """CRI-O forces short-name mode disabled up to 1.33 and defaults to enforcing from 1.34,
    whatever registries.conf says (its rule file's registry.short_name_mode, per range)."""
    from planner.app.route import route_for
    from planner.hosts.profiles import HostProfile
    from planner.model.platform import Platform
    from planner.policy.loader import load_rules

    conf = write(
        tmp_path / "registries.conf",
        'unqualified-search-registries = ["a.io", "b.io"]\nshort-name-mode = "permissive"\n',
    )
    config = load_registry_config(conf)

    def host(rules: str) -> HostProfile:
        return HostProfile(
            "n", Platform.parse("linux/amd64"), load_rules(rules), registry_config=config
        )

    route = route_for("app:1", host("cri-o@1.33.0"))
    assert [h.endpoint for h in route.hops] == ["a.io:443", "b.io:443"]
    with pytest.raises(InvalidRegistryConfig, match="short name 'app' is ambiguous"):
        route_for("app:1", host("cri-o@1.34.0"))
    assert len(route_for("app:1", host("podman@4.3.1")).hops) == 2  # permissive, no terminal
