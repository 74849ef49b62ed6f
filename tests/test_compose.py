"""Compose files as workloads (planner.workloads.compose), row by row against compose-go.

Sources (compose-spec/compose-go, v2 at 2026-07):
  TPL     template/template.go and the cases of template/template_test.go
          (named after the Go test they come from)
  DOTENV  dotenv/parser.go (statements, quotes, escapes, inline comments),
          dotenv/godotenv.go expandVariables (the environment, then the file)
  NAME    loader/loader.go NormalizeProjectName, cli/options.go
          withNamePrecedenceLoad (COMPOSE_PROJECT_NAME, name:, the directory)
  SPEC    compose-spec interpolation.md, services.md (image, platform, build)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.cli.main import main
from planner.model.platform import Platform
from planner.workloads.compose import _dotenv, interpolate
from planner.workloads.files import read_manifests
from planner.workloads.model import WorkloadError

DEFAULTS = {"FOO": "first", "BAR": "", "JSON": '{"json":2}'}  # TPL: template_test.go defaults

SUBSTITUTIONS = [
    # (template, result, unset names, source)
    ("$${foo}", "${foo}", [], "TPL TestEscaped"),
    ("foo", "foo", [], "TPL TestSubstituteNoMatch"),
    ("a $ string", "a $ string", [], "TPL TestUnescaped"),
    ("^REGEX$", "^REGEX$", [], "TPL TestUnescaped"),
    ("$}", "$}", [], "TPL TestUnescaped"),
    ("$", "$", [], "TPL TestUnescaped"),
    ("$FOO-bar", "first-bar", [], "TPL TestNonBraced"),
    ("This ${missing} var", "This  var", ["missing"], "TPL TestNoValueNoDefault (warns)"),
    ("This ${BAR} var", "This  var", [], "TPL TestNoValueNoDefault (set, empty: no warning)"),
    ("This $FOO var", "This first var", [], "TPL TestValueNoDefault"),
    ("This ${FOO} var", "This first var", [], "TPL TestValueNoDefault"),
    ("ok ${missing:-def}", "ok def", [], "TPL TestNoValueWithDefault"),
    ("ok ${missing-def}", "ok def", [], "TPL TestNoValueWithDefault"),
    ("ok ${BAR:-def}", "ok def", [], "TPL TestEmptyValueWithSoftDefault"),
    ("ok ${FOO:-def}", "ok first", [], "TPL TestValueWithSoftDefault"),
    ("ok ${BAR-def}", "ok ", [], "TPL TestEmptyValueWithHardDefault"),
    ("ok ${UNSET_VAR:+presence_value}", "ok ", [], "TPL TestPresentValueWithUnset"),
    ("ok ${UNSET_VAR+presence_value}", "ok ", [], "TPL TestPresentValueWithUnset2"),
    ("ok ${FOO:+presence_value}", "ok presence_value", [], "TPL TestPresentValueWithNonEmpty"),
    ("ok ${FOO+presence_value}", "ok presence_value", [], "TPL TestPresentValueAndNonEmpty…"),
    ("ok ${BAR+presence_value}", "ok presence_value", [], "TPL TestPresentValueWithSet"),
    ("ok ${BAR:+presence_value}", "ok ", [], "TPL TestPresentValueAndNotEmptyWithSet"),
    (
        "ok ${BAR:-/non:-alphanumeric}",
        "ok /non:-alphanumeric",
        [],
        "TPL TestNonAlphanumericDefault",
    ),
    ("+ok ${UNSET:-${BAR-defaultValue}}", "+ok ", [], "TPL TestInterpolationExternalInterference"),
    (":-ok ${UNSET-defaultValue}", ":-ok defaultValue", [], "TPL …ExternalInterference"),
    (":?ok ${BAR:-defaultValue}", ":?ok defaultValue", [], "TPL …ExternalInterference"),
    ("ok ${UNSET_VAR-$FOO}", "ok first", [], "TPL TestDefaultsWithNestedExpansion"),
    ("ok ${UNSET_VAR-${FOO}}", "ok first", [], "TPL TestDefaultsWithNestedExpansion"),
    ("ok ${UNSET_VAR-${FOO} ${FOO}}", "ok first first", [], "TPL …NestedExpansion"),
    ("ok ${BAR:-${FOO} ${FOO}}", "ok first first", [], "TPL …NestedExpansion"),
    ("ok ${BAR+$FOO ${FOO:+second}}", "ok first second", [], "TPL …NestedExpansion"),
    ("ok ${FOO:?err}", "ok first", [], "TPL TestDefaultsForMandatoryVariables"),
    ("ok ${BAR?err}", "ok ", [], "TPL TestDefaultsForMandatoryVariables"),
    ('ok ${missing:-{"json":1}}', 'ok {"json":1}', [], "TPL TestNoValueWithCurlyBracesDefault"),
    ('ok ${JSON-{"json":1}}', 'ok {"json":2}', [], "TPL TestValueWithCurlyBracesDefault"),
    ("nginx:${TAG:-1.27}-${VARIANT:-alpine}", "nginx:1.27-alpine", [], "two in a row"),
    ("${REGISTRY}/app:${TAG}", "/app:", ["REGISTRY", "TAG"], "each unset name once per use"),
    ("${A:-${B:-${C:-deep}}}", "deep", [], "nested defaults"),
]


@pytest.mark.parametrize(("template", "expected", "unset", "source"), SUBSTITUTIONS)
def test_interpolate(template: str, expected: str, unset: list[str], source: str) -> None:
    assert interpolate(template, DEFAULTS) == (expected, unset), source


ERRORS = [
    # (template, message, source)
    ("${", "invalid interpolation format", "TPL TestInvalid"),
    ("${}", "invalid interpolation format", "TPL TestInvalid"),
    ("${ }", "invalid interpolation format", "TPL TestInvalid"),
    ("${ foo}", "invalid interpolation format", "TPL TestInvalid"),
    ("${foo }", "invalid interpolation format", "TPL TestInvalid"),
    ("${foo!}", "invalid interpolation format", "TPL TestInvalid"),
    ("${FOO:-x", "invalid interpolation format", "an unclosed brace"),
    (
        "not ok ${UNSET_VAR:?Mandatory Variable Unset}",
        "required variable UNSET_VAR is missing a value: Mandatory Variable Unset",
        "TPL TestMandatoryVariableErrors",
    ),
    (
        "not ok ${BAR:?Mandatory Variable Empty}",
        "required variable BAR is missing a value: Mandatory Variable Empty",
        "TPL TestMandatoryVariableErrors",
    ),
    ("not ok ${UNSET_VAR:?}", "required variable UNSET_VAR is missing a value", "TPL"),
    ("not ok ${UNSET_VAR?}", "required variable UNSET_VAR is missing a value", "TPL"),
    (
        "not ok ${UNSET_VAR:?Mandatory Variable ${FOO}}",
        "required variable UNSET_VAR is missing a value: Mandatory Variable first",
        "TPL TestMandatoryVariableErrorsWithNestedExpansion",
    ),
    (
        "${A:-" * 5000 + "}" * 5000,
        "variables nested too deeply to interpolate",
        "hostile: no RecursionError",
    ),
]


@pytest.mark.parametrize(("template", "message", "source"), ERRORS)
def test_interpolate_errors(template: str, message: str, source: str) -> None:
    with pytest.raises(ValueError) as caught:
        interpolate(template, DEFAULTS)
    assert str(caught.value) == message or (
        message == "invalid interpolation format"
        and str(caught.value).startswith("invalid interpolation format in ")
    ), source


def test_interpolating_many_variables_is_not_recursive() -> None:
    """compose-go recurses once per variable after the first (the rest of a greedy
    match); going on from the cut instead handles any number of them."""
    value, unset = interpolate("${FOO:-x}/" * 20_000, DEFAULTS)
    assert value == "first/" * 20_000 and unset == []


# --- .env -------------------------------------------------------------------------------

DOTENV = [
    # (.env text, the values read, source)
    ("TAG=1.27\n", {"TAG": "1.27"}, "DOTENV: KEY=VALUE"),
    ("export TAG=1.27\n", {"TAG": "1.27"}, "DOTENV: exportRegex"),
    ("TAG: 1.27\n", {"TAG": "1.27"}, "DOTENV: yaml-style KEY: VALUE"),
    ("  TAG = 1.27  \n", {"TAG": "1.27"}, "DOTENV: spaces trimmed"),
    ("TAG=1.27 # pinned\n", {"TAG": "1.27"}, "DOTENV: ' #' starts an inline comment"),
    ("TAG=1.27#x\n", {"TAG": "1.27#x"}, "DOTENV: '#' without a space is data"),
    ("# a comment\n\n\nTAG=1.27\n", {"TAG": "1.27"}, "DOTENV: comment and empty lines"),
    ("TAG='1.27 # x'\n", {"TAG": "1.27 # x"}, "DOTENV: single quotes keep everything"),
    ('TAG="1.27" # pinned\n', {"TAG": "1.27"}, "DOTENV: a comment after the quotes"),
    ("B=1.27\nTAG=${B}-alpine\n", {"B": "1.27", "TAG": "1.27-alpine"}, "DOTENV: interpolated"),
    ('B=1.27\nTAG="${B}"\n', {"B": "1.27", "TAG": "1.27"}, "DOTENV: double quotes interpolate"),
    ("B=1.27\nTAG='${B}'\n", {"B": "1.27", "TAG": "${B}"}, "DOTENV: single quotes do not"),
    ('TAG="a\\$b"\n', {"TAG": "a$b"}, "DOTENV expandEscapes: \\$ is a literal $"),
    ('TAG="a\\tb\\"c"\n', {"TAG": 'a\tb"c'}, "DOTENV: escapes in double quotes"),
    ("TAG='a\\tb'\n", {"TAG": "a\\tb"}, "DOTENV: none in single quotes"),
    ("TAG=1.26\nTAG=1.27\n", {"TAG": "1.27"}, "DOTENV: the last one wins"),
    ('NOTE="two\nlines"\nTAG=1.27\n', {"NOTE": "two\nlines", "TAG": "1.27"}, "DOTENV: multi-line"),
    ("TAG=\n", {"TAG": ""}, "DOTENV: an empty value"),
    ("KEEP\n", {"KEEP": "env"}, "DOTENV: a key alone takes the environment's value"),
    ("GONE\n", {}, "DOTENV: ... or none"),
]


@pytest.mark.parametrize(("env", "expected", "source"), DOTENV)
def test_dotenv(tmp_path: Path, env: str, expected: dict[str, str], source: str) -> None:
    (tmp_path / ".env").write_text(env, encoding="utf-8")
    assert _dotenv(tmp_path, {"KEEP": "env"}) == expected, source


def test_no_dotenv(tmp_path: Path) -> None:
    assert _dotenv(tmp_path, {"TAG": "1"}) == {}


def compose(tmp_path: Path, image: str, extra: str = "", env: str | None = None) -> Path:
    project = tmp_path / "Shop_App"
    project.mkdir(exist_ok=True)
    if env is not None:
        (project / ".env").write_text(env, encoding="utf-8")
    path = project / "compose.yaml"
    path.write_text(f"services:\n  web:\n    image: '{image}'\n{extra}", encoding="utf-8")
    return path


def test_the_environment_wins_over_dotenv(tmp_path: Path) -> None:
    path = compose(tmp_path, "nginx:${TAG}", env="TAG=1.26\nKEEP\nDERIVED=${TAG}-x\n")
    found = read_manifests([str(path)], environ={"TAG": "1.27"})
    assert found.workloads[0].containers[0].image == "nginx:1.27"
    path = compose(tmp_path, "nginx:${DERIVED}", env="TAG=1.26\nDERIVED=${TAG}-x\n")
    found = read_manifests([str(path)], environ={"TAG": "1.27"})
    assert found.workloads[0].containers[0].image == "nginx:1.27-x"  # DOTENV expandVariables
    path = compose(tmp_path, "nginx:${KEEP}", env="KEEP\n")
    found = read_manifests([str(path)], environ={"KEEP": "1.25"})
    assert found.workloads[0].containers[0].image == "nginx:1.25"  # a key alone: inherited


@pytest.mark.parametrize(
    ("env", "problem"),
    [
        ('TAG="1.27\n', ":1: an unterminated quoted value"),
        ("TAG=1\nbad key=1\n", ":2: unexpected character in a variable name"),
        ("TAG=1\n\n=1\n", ":3: unexpected character in a variable name"),
        ("A=${B:?set B}\n", ":1: required variable B is missing a value: set B"),
    ],
)
def test_dotenv_errors(tmp_path: Path, env: str, problem: str) -> None:
    path = compose(tmp_path, "nginx", env=env)
    with pytest.raises(WorkloadError) as caught:
        read_manifests([str(path)])
    assert str(caught.value) == f"{path.parent / '.env'}{problem}"


# --- services as workloads ------------------------------------------------------------------

SERVICES = """\
name: Shop
services:
  web:
    image: ${REGISTRY:-registry.example.com}/shop/web:${TAG:?set TAG}
    platform: linux/arm64
  worker:
    build: ./worker
  cache:
    build: .
    image: redis:7
  db:
    image: "postgres:16"
    platform: ${DB_PLATFORM:-linux/amd64/v3}
  debug:
    image: busybox:1.36
    profiles: [debug]
  local:
    build: .
    image: shop/local:dev
    pull_policy: build
"""


def test_a_profile_turned_on_starts_its_services(tmp_path: Path) -> None:
    """profiles.md: a service with profiles starts only when one of them is active
    (COMPOSE_PROFILES, comma-separated; compose-go cli/options.go)."""
    path = tmp_path / "compose.yaml"
    path.write_text(SERVICES, encoding="utf-8")
    found = read_manifests([str(path)], environ={"TAG": "1", "COMPOSE_PROFILES": "x, debug"})
    assert "compose/shop/debug" in [w.id for w in found.workloads]


def test_a_service_with_neither_image_nor_build_is_refused(tmp_path: Path) -> None:
    """compose-go loader: 'service "config" has neither an image nor a build context
    specified'."""
    path = tmp_path / "compose.yaml"
    path.write_text("services:\n  config: {}\n", encoding="utf-8")
    with pytest.raises(WorkloadError, match=r"compose.yaml:2:3: services.config: has neither"):
        read_manifests([str(path)])


def test_services(tmp_path: Path) -> None:
    path = tmp_path / "compose.yaml"
    path.write_text(SERVICES, encoding="utf-8")
    found = read_manifests([str(path)], environ={"TAG": "1.4"})
    assert [w.id for w in found.workloads] == [
        "compose/shop/web",
        "compose/shop/cache",
        "compose/shop/db",
    ]
    web, cache, db = found.workloads
    assert web.compose and web.placement.node_selector == {}  # SPEC: no scheduling
    assert web.containers[0].image == "registry.example.com/shop/web:1.4"
    assert web.containers[0].platform == Platform.parse("linux/arm64")
    assert cache.containers[0].reference == "docker.io/library/redis:7"
    assert db.containers[0].platform == Platform.parse("linux/amd64/v3")
    assert web.place == f"{path}:3:3"
    assert [(s.what, s.reason) for s in found.skipped] == [
        ("service worker", "builds its image (build:), nothing to pull"),
        ("service debug", "in profiles debug, none active (COMPOSE_PROFILES)"),
        ("service local", "builds its image (pull_policy: build), nothing to pull"),
    ]
    assert found.warnings == ()


@pytest.mark.parametrize(
    ("document", "directory", "environ", "project", "source"),
    [
        ("", "Shop_App", {}, "shop_app", "NAME: the directory, lower-cased"),
        ("", "My App (2)", {}, "myapp2", "NAME: NormalizeProjectName drops other characters"),
        ("", "_-shop", {}, "shop", "NAME: ... and leading '_' and '-'"),
        ("name: Web-Shop\n", "x", {}, "web-shop", "NAME: the top-level name"),
        ("name: web\n", "x", {"COMPOSE_PROJECT_NAME": "Prod"}, "prod", "NAME: the variable wins"),
        ("", "x", {"COMPOSE_PROJECT_NAME": ""}, "x", "NAME: an empty variable does not count"),
        ("name: ${STAGE}-shop\n", "x", {"STAGE": "prod"}, "prod-shop", "SPEC: name interpolated"),
        ("name: $$shop\n", "x", {}, "shop", "SPEC: ... $$ is a '$', then dropped"),
    ],
)
def test_project_name(
    tmp_path: Path,
    document: str,
    directory: str,
    environ: dict[str, str],
    project: str,
    source: str,
) -> None:
    folder = tmp_path / directory
    folder.mkdir()
    path = folder / "compose.yaml"
    path.write_text(document + "services:\n  web:\n    image: nginx\n", encoding="utf-8")
    (web,) = read_manifests([str(path)], environ=environ).workloads
    assert web.namespace == project, source


def test_project_name_from_dotenv(tmp_path: Path) -> None:
    path = compose(tmp_path, "nginx", env="COMPOSE_PROJECT_NAME=fromenv\n")
    assert read_manifests([str(path)]).workloads[0].namespace == "fromenv"


def test_unset_variables_warn_with_their_place(tmp_path: Path) -> None:
    path = compose(tmp_path, "nginx:${TAG:-1}${SUFFIX}")
    found = read_manifests([str(path)])
    assert found.workloads[0].containers[0].image == "nginx:1"
    assert found.warnings == (
        f"{path}:3:5: services.web.image: the variable SUFFIX is not set;"
        " it is a blank string (as Compose does)",
    )


PROBLEMS = [
    # (service body, expected after 'path:', source)
    (
        "    image: '${TAG:?set TAG}'\n",
        "3:5: services.web.image: required variable TAG is missing a value: set TAG",
        "TPL withRequired",
    ),
    (
        "    image: '${TAG'\n",
        "3:5: services.web.image: invalid interpolation format in '${TAG'",
        "TPL InvalidTemplateError",
    ),
    (
        "    image: '${EMPTY}'\n",
        "3:5: services.web.image: '${EMPTY}' is empty once its variables are substituted",
        "SPEC: an image is required",
    ),
    (
        "    image: 5\n",
        "3:5: services.web.image: must be a non-empty string, not the number 5 (quote it)",
        "SPEC: image is a string",
    ),
    ("    image: 'Nginx:latest'\n", None, "SPEC: an invalid reference"),
    ("    image: nginx\n    platform: linux\n", "4:5: services.web.platform:", "SPEC: os/arch"),
    (
        "    image: nginx\n    platform: ''\n",
        "4:5: services.web.platform: must be a non-empty string, not the string ''",
        "SPEC: platform is a string",
    ),
]


@pytest.mark.parametrize(("body", "expected", "source"), PROBLEMS)
def test_service_problems(tmp_path: Path, body: str, expected: str | None, source: str) -> None:
    path = tmp_path / "compose.yaml"
    path.write_text("services:\n  web:\n" + body, encoding="utf-8")
    with pytest.raises(WorkloadError) as caught:
        read_manifests([str(path)], environ={"EMPTY": ""})
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"{path}:"), source
    rest = message[len(str(path)) + 1 :]
    if expected is None:
        assert rest.startswith("3:5: services.web.image: 'Nginx:latest' is not a valid image"), rest
    else:
        assert rest.startswith(expected), (source, rest)


def test_hostile_service_names_are_escaped(tmp_path: Path) -> None:
    path = tmp_path / "compose.yaml"
    path.write_text('services:\n  "w\\e[31m\\n":\n    image: 7\n', encoding="utf-8")
    with pytest.raises(WorkloadError) as caught:
        read_manifests([str(path)])
    assert str(caught.value) == (
        f"{path}:3:5: services.w\\x1b[31m\\n.image: must be a non-empty string, not the number 7"
        " (quote it)"
    )


def test_compose_on_standard_input_reads_dotenv_of_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text("TAG=1.27\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    text = b"services:\n  web:\n    image: nginx:${TAG}\n"
    (web,) = read_manifests(["-"], stdin=lambda limit: text).workloads
    assert web.containers[0].image == "nginx:1.27" and web.place == "<stdin>:2:3"


def test_a_kubernetes_document_with_services_is_no_compose_file(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("kind: Thing\nmetadata: {name: t}\nservices: {web: {image: x}}\n")
    found = read_manifests([str(path)])
    assert not found.workloads and found.skipped[0].reason == "Thing has no pod template"


def test_check_compose_input_error_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TAG", raising=False)
    path = compose(tmp_path, "nginx:${TAG:?set TAG to the release}")
    assert main(["check", "-f", str(path), "--platform", "linux/amd64"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        f"pull-planner: error: {path}:3:5: services.web.image: required variable TAG is"
        " missing a value: set TAG to the release"
    ]


def test_a_project_name_that_fails_to_interpolate(tmp_path: Path) -> None:
    path = tmp_path / "compose.yaml"
    path.write_text("name: ${STAGE:?name the stage}\nservices: {web: {image: nginx}}\n")
    with pytest.raises(WorkloadError) as caught:
        read_manifests([str(path)])
    assert str(caught.value) == (
        f"{path}:1:1: name: required variable STAGE is missing a value: name the stage"
    )
