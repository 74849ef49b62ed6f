"""Cache entries that are not regular files: never read, never waited on, dropped.

Someone who can write to the cache (or a bug) may leave a FIFO where a blob, a tag
hint or a challenge should be (opening it for reading waits for a writer: forever),
or a link to ``/dev/zero`` (reading it never ends). Every read of the cache is the
one safe read (:func:`planner.model.files.read_capped`): a regular file, capped. Each
hostile entry is read in a child process with a 1 GiB address-space limit and a
time limit, so that a regression fails the test instead of hanging or exhausting the
machine; the child reports its peak RSS (``VmHWM``).
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import pytest

from planner import RegistryOptions, resolve
from planner.model.manifest import OCI_INDEX, compute_digest
from planner.transport.cache import Cache
from planner.transport.credentials import CredentialStore
from tests.hostile_server import HostileServer, manifest
from tests.test_registry_faults import INDEX

DIGEST = "sha256:" + "a" * 64
REF = "127.0.0.1:5000/app:1"
ORIGIN = "http://127.0.0.1:5000"

CHILD = """
import json, resource, sys
from pathlib import Path
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
from planner.transport.cache import Cache
cache = Cache(Path(sys.argv[1]))
entry, key = sys.argv[2], sys.argv[3]
read = {"blob": lambda: cache.get(key, 4 << 20), "tag": lambda: cache.tag_hint(key),
        "challenge": lambda: cache.challenge(key)}[entry]
found = read()
# VmHWM: this process's own peak RSS (ru_maxrss would include the parent's, kept over exec)
status = Path("/proc/self/status").read_text().split("VmHWM:")[1]
peak = int(status.split()[0])
print(json.dumps({"found": found is not None, "peak_kib": peak}))
"""


def _key(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def entry_path(cache: Path, entry: str) -> Path:
    return {
        "blob": cache / "blobs" / "sha256" / DIGEST.partition(":")[2],
        "tag": cache / "tags" / _key(REF),
        "challenge": cache / "challenges" / _key(ORIGIN),
    }[entry]


def plant(path: Path, kind: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "dev-zero":
        path.symlink_to("/dev/zero")
    else:
        path.mkdir()


def read_in_child(cache: Path, entry: str) -> dict[str, object]:
    key = {"blob": DIGEST, "tag": REF, "challenge": ORIGIN}[entry]
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(cache), entry, key],
        capture_output=True,
        text=True,
        timeout=10,  # a FIFO opened for reading waits forever: this fails the test instead
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, object] = json.loads(done.stdout)
    return result


@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
@pytest.mark.parametrize("entry", ["blob", "tag", "challenge"])
def test_a_cache_entry_that_is_not_a_regular_file_is_ignored_and_dropped(
    tmp_path: Path, entry: str, kind: str
) -> None:
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    path = entry_path(cache, entry)
    plant(path, kind)
    result = read_in_child(cache, entry)
    assert result["found"] is False
    assert isinstance(result["peak_kib"], int) and result["peak_kib"] < 100 << 10
    assert not os.path.lexists(path)  # dropped: the next write puts a file there


@pytest.mark.parametrize("entry", ["blob", "tag", "challenge"])
def test_a_directory_in_a_cache_entry_is_ignored_and_kept(tmp_path: Path, entry: str) -> None:
    cache = tmp_path / "cache"
    path = entry_path(cache, entry)
    plant(path, "directory")
    assert read_in_child(cache, entry)["found"] is False
    assert path.is_dir()


def test_an_oversized_tag_hint_is_not_read_whole(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache")
    path = entry_path(tmp_path / "cache", "tag")
    path.parent.mkdir(parents=True)
    path.write_bytes(b"sha256:" + b"a" * 64 + b" " * (2 << 20))
    assert cache.tag_hint(REF) is None
    assert not path.exists()


@pytest.fixture
def alarm() -> Iterator[None]:
    """Fail instead of hanging if the code under test blocks for 10 s (pytest.fail raises
    a BaseException, which no ``except OSError`` around the blocked open swallows)."""

    def expire(signum: int, frame: FrameType | None) -> None:
        pytest.fail("blocked for 10 s on a cache entry")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(10)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_a_run_over_a_cache_of_fifos_asks_the_registry_and_rewrites_it(
    tmp_path: Path, alarm: None
) -> None:
    """Every entry the run would read is a FIFO: the run neither hangs nor fails; it asks
    the registry and leaves regular files behind."""
    cache = tmp_path / "cache"
    with HostileServer() as registry:
        registry.route("/v2/app/manifests/1", manifest(INDEX, OCI_INDEX))
        ref = f"{registry.host}/app:1"
        for path in (
            cache / "tags" / _key(ref),
            cache / "challenges" / _key(registry.url),
            cache / "blobs" / "sha256" / compute_digest(INDEX).partition(":")[2],
        ):
            plant(path, "fifo")
        options = RegistryOptions(
            credentials=CredentialStore(env={}, home=tmp_path / "home"),
            cache_dir=cache,
            retries=0,
        )
        assert resolve(ref, "linux/amd64", registry=options).selected is not None
    assert (cache / "tags" / _key(ref)).is_file()
