"""Credential helpers are programs run on the user's behalf: run only the one PATH names,
read a bounded answer, and stop them at the run's limits.

``docker-credential-NAME get`` (planner/transport/credentials.py): a NAME with a path
separator or ``..`` would run a program outside PATH, so it is refused, naming the
config file. Stdout and stderr are read as they come, at most 1 MiB each; a helper that
prints more, or is still running at the run's timeout or deadline, is killed with its
process group. What it prints becomes one line: escaped (bidirectional controls
included) and cut.
"""

from __future__ import annotations

import json
import os
import stat
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

from planner import InvalidInput, RegistryOptions, SourceError, resolve
from planner.cli import main
from planner.transport.credentials import CredentialStore
from tests.hostile_server import HostileServer, challenge

REGISTRY = "registry.example:5000"


def write_helper(directory: Path, name: str, body: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


def store(tmp_path: Path, helper: str) -> CredentialStore:
    """A store whose Docker config names ``helper`` for :data:`REGISTRY`, PATH = tmp/bin."""
    config = tmp_path / "docker"
    config.mkdir(exist_ok=True)
    (config / "config.json").write_text(json.dumps({"credHelpers": {REGISTRY: helper}}))
    env = {
        "PATH": f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "DOCKER_CONFIG": str(config),
    }
    return CredentialStore(env=env, home=tmp_path / "home")


def measured(call: Callable[[], object]) -> tuple[BaseException | None, float, int]:
    """(what ``call`` raised, seconds it took, peak bytes it allocated)."""
    tracemalloc.start()
    start = time.monotonic()
    raised: BaseException | None = None
    try:
        call()
    except Exception as exc:
        raised = exc
    try:
        return raised, time.monotonic() - start, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# --------------------------------------------------------------------------- which program


@pytest.mark.parametrize(
    "name",
    ["x/../evil", "/../evil", "..", "x\\evil", "-evil", "ev\x00il", "", "evil\n"],
    ids=["dotdot-slash", "absolute", "dotdot", "backslash", "dash", "nul", "empty", "newline"],
)
def test_a_helper_name_that_is_not_plain_is_refused_and_nothing_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    work = tmp_path / "work"
    marker = tmp_path / "ran"
    for directory in ("docker-credential-x", "docker-credential-"):
        (work / directory).mkdir(parents=True)
    write_helper(work, "evil", f'touch {marker}\necho \'{{"Username": "u", "Secret": "s"}}\'\n')
    monkeypatch.chdir(work)  # docker-credential-x/../evil is ./evil: outside PATH
    with pytest.raises(InvalidInput) as caught:
        store(tmp_path, name).lookup(REGISTRY)
    message = str(caught.value)
    assert message.startswith(f"{tmp_path / 'docker' / 'config.json'}: credential helper ")
    assert "is not a plain name" in message and "\n" not in message and "\x00" not in message
    assert not marker.exists()


def test_a_bad_helper_name_is_exit_2_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "home"
    (home / ".docker").mkdir(parents=True)
    (home / ".docker" / "config.json").write_text(json.dumps({"credsStore": "../../bin/sh"}))
    for variable in ("DOCKER_CONFIG", "REGISTRY_AUTH_FILE", "XDG_RUNTIME_DIR"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("HOME", str(home))
    with HostileServer() as registry:
        registry.route("/v2/app/manifests/1", challenge('Basic realm="r"'))
        argv = ["resolve", f"{registry.host}/app:1", "--platform", "linux/amd64"]
        assert main([*argv, "--cache-dir", str(tmp_path / "cache"), "--retries", "0"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert f"{home / '.docker' / 'config.json'}: credential helper '../../bin/sh'" in err


# --------------------------------------------------------------------------- what it prints


@pytest.mark.parametrize("stream", ["stdout", "stderr"])
def test_a_helper_printing_1_gib_is_stopped_at_1_mib(tmp_path: Path, stream: str) -> None:
    redirect = ">&2" if stream == "stderr" else ""
    write_helper(
        tmp_path / "bin", "docker-credential-big", f"head -c 1073741824 /dev/zero {redirect}\n"
    )
    raised, seconds, peak = measured(lambda: store(tmp_path, "big").lookup(REGISTRY))
    assert isinstance(raised, SourceError)
    assert "credential helper docker-credential-big printed more than 1 MiB" in str(raised)
    assert seconds < 3
    assert peak < 8 << 20


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ("head -c 200000 /dev/zero | tr '\\0' '['\n", "(nested too deeply)"),
        ('printf \'\\377\\376{"Username": "u", "Secret": "s"}\'\n', "(not UTF-8)"),
        ("echo '[1, 2]'\n", ""),
        ('echo \'{"Username": 1, "Secret": "s"}\'\n', ""),
    ],
    ids=["nested", "not-utf8", "not-object", "not-string"],
)
def test_a_helper_printing_bad_json_is_one_line(tmp_path: Path, body: str, why: str) -> None:
    write_helper(tmp_path / "bin", "docker-credential-bad", body)
    with pytest.raises(SourceError) as caught:
        store(tmp_path, "bad").lookup(REGISTRY)
    assert str(caught.value) == (
        f"credential helper docker-credential-bad printed no Username/Secret JSON {why}".strip()
    )


def test_a_helper_error_is_escaped_and_cut(tmp_path: Path) -> None:
    """Nearly 1 MiB of stderr, starting with a bidi override and a terminal escape."""
    write_helper(
        tmp_path / "bin",
        "docker-credential-loud",
        "{ printf 'denied \\342\\200\\256lmth.exe\\033[31m '; head -c 1000000 /dev/zero"
        " | tr '\\0' x; } >&2\nexit 1\n",
    )
    with pytest.raises(SourceError) as caught:
        store(tmp_path, "loud").lookup(REGISTRY)
    message = str(caught.value)
    assert message.startswith(
        f"credential helper docker-credential-loud failed for {REGISTRY}:"
        " denied \\u202elmth.exe\\x1b[31m xxx"
    )
    assert message.endswith("…") and len(message) < 300
    assert message.isprintable()


# --------------------------------------------------------------------------- how long


def hanging_helper(tmp_path: Path) -> Path:
    """A helper that starts a child holding its output open, and neither ever ends."""
    pid_file = tmp_path / "child.pid"
    write_helper(
        tmp_path / "bin",
        "docker-credential-hang",
        f"sleep 300 &\necho $! > {pid_file}\nsleep 300\n",
    )
    return pid_file


def gone(pid: int) -> bool:
    """Killed: no such process, or a zombie nobody reaped yet (no init in a container)."""
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.05)
    return False


def test_a_hung_helper_is_killed_with_its_children_at_the_timeout(tmp_path: Path) -> None:
    pid_file = hanging_helper(tmp_path)
    raised, seconds, _ = measured(lambda: store(tmp_path, "hang").lookup(REGISTRY, timeout=1))
    assert isinstance(raised, SourceError)
    assert str(raised) == (
        f"credential helper docker-credential-hang did not answer for {REGISTRY} within 1 s"
        " (stopped)"
    )
    assert seconds < 3
    assert gone(int(pid_file.read_text()))


def test_a_hung_helper_is_bounded_by_the_run_deadline(tmp_path: Path) -> None:
    """The registry asks for Basic credentials; the helper hangs; the run's 1 s deadline,
    not the helper's own 30 s, ends it."""
    pid_file = hanging_helper(tmp_path)
    config = tmp_path / "docker"
    config.mkdir()
    with HostileServer() as registry:
        registry.route("/v2/app/manifests/1", challenge('Basic realm="r"'))
        (config / "config.json").write_text(json.dumps({"credHelpers": {registry.host: "hang"}}))
        env = {
            "PATH": f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}",
            "DOCKER_CONFIG": str(config),
        }
        options = RegistryOptions(
            credentials=CredentialStore(env=env, home=tmp_path / "home"),
            cache_dir=tmp_path / "cache",
            retries=0,
            deadline=1.0,
        )
        raised, seconds, _ = measured(
            lambda: resolve(f"{registry.host}/app:1", "linux/amd64", registry=options)
        )
    assert isinstance(raised, SourceError) and "did not answer" in str(raised)
    assert seconds < 3
    assert gone(int(pid_file.read_text()))


def test_a_helper_that_answers_is_still_used(tmp_path: Path) -> None:
    write_helper(
        tmp_path / "bin",
        "docker-credential-good",
        'read server\necho \'{"Username": "u", "Secret": "s"}\'\necho noise >&2\n',
    )
    found = store(tmp_path, "good").lookup(REGISTRY, timeout=5)
    assert found is not None and (found.username, found.secret) == ("u", "s")
    assert os.environ.get("PATH")  # the test's own environment is untouched
