"""
systemd's unit syntax, EnvironmentFile= parser and ExecStart= expansion, table-driven
(systemd.syntax(7), systemd.exec(5), systemd.service(5)), and unit trees under a temporary root.
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict, List

import pytest

from esprobe.config.systemd import (
    ExecCommand,
    UnitError,
    expand_exec_words,
    parse_env_file,
    parse_environment_words,
    parse_exec_line,
    parse_unit_text,
    read_unit,
    split_words,
)


@pytest.mark.parametrize(
    "text, words",
    [
        ("a b  c", ["a", "b", "c"]),
        ('"a b" c', ["a b", "c"]),
        ("'a \"b\"' c", ['a "b"', "c"]),
        ('x"a b"y', ["xa by"]),  # quotes group anywhere in a word
        (r"a\sb", ["a b"]),
        (r"a\x41\101\u00e9", ["aAAé"]),
        (r'"tab\there"', ["tab\there"]),
        (r"a\\b", ["a\\b"]),
        ("", []),
    ],
)
def test_words_are_split_unquoted_and_unescaped(text: str, words: List[str]) -> None:
    assert split_words(text) == words


@pytest.mark.parametrize("text", ['"open', "a\\", r"a\q"])
def test_broken_words_are_refused(text: str) -> None:
    with pytest.raises(UnitError):
        split_words(text)


def test_unit_text_sections_continuations_and_comments() -> None:
    text = (
        "[Unit]\nDescription=x\n# c\n[Service]\n; c2\n"
        "ExecStart=/bin/metricbeat \\\n# dropped comment\n  -e\n"
        "Environment=A=1\\\\\nUser = beats \n"
    )
    got = [(a.section, a.key, a.value, a.line) for a in parse_unit_text(text, "/u")]
    assert got == [
        ("Unit", "Description", "x", 2),
        ("Service", "ExecStart", "/bin/metricbeat    -e", 6),
        ("Service", "Environment", "A=1\\\\", 9),  # an even run of backslashes does not continue
        ("Service", "User", "beats", 10),
    ]


@pytest.mark.parametrize("text", ["[Service\nA=1\n", "[Service]\njust words\n"])
def test_malformed_unit_text_is_refused_with_its_line(text: str) -> None:
    with pytest.raises(UnitError, match=r"^/u:\d+: "):
        parse_unit_text(text, "/u")


@pytest.mark.parametrize(
    "value, pairs, problems",
    [
        ('"A=a b" B=c', [("A", "a b"), ("B", "c")], 0),
        (r"A=x\sy 'B=q r'", [("A", "x y"), ("B", "q r")], 0),
        ("A=%n", [("A", "metricbeat.service")], 0),
        ("A=%%", [("A", "%")], 0),
        ("NOEQUALS A=1", [("A", "1")], 1),
        ("1A=x", [], 1),
        ('"unbalanced', [], 1),
    ],
)
def test_environment_assignments(value: str, pairs: list, problems: int) -> None:
    got, notes = parse_environment_words(value, "metricbeat.service")
    assert got == pairs
    assert len(notes) == problems


@pytest.mark.parametrize(
    "text, expected",
    [
        ("A=1\nB = two words  \n", {"A": "1", "B": "two words"}),
        ("A='x \"y\" $Z'\n", {"A": 'x "y" $Z'}),  # single quotes: literal, nothing expanded
        ('A="a\\"b\\\\c\\$d\\n"\n', {"A": 'a"b\\c$d\\n'}),  # in "...": only " \\ ` $ are escapes
        ("A=x\\\ny\n", {"A": "xy"}),  # backslash-newline continues
        ("A=a\\ b\n", {"A": "a b"}),
        ('A="multi\nline"\n', {"A": "multi\nline"}),
        ("# A=1\n; B=2\n  C=3\n", {"C": "3"}),
        ("A=1 # not a comment\n", {"A": "1 # not a comment"}),
        ("A=\n", {"A": ""}),
        ("A=1\nA=2", {"A": "2"}),  # no final newline; the later line wins
        ("export A=1\n", {}),  # not shell: "export A" is not a variable name
        ('A="x" y\n', {"A": "xy"}),
    ],
)
def test_env_file_parser(text: str, expected: Dict[str, str]) -> None:
    pairs, _ = parse_env_file(text)
    assert {k: v for k, v, _ in pairs} == expected


def test_env_file_lines_are_reported() -> None:
    pairs, problems = parse_env_file("\n# c\nA=1\nno equals\nB='x\ny'\n")
    assert [(k, line) for k, _, line in pairs] == [("A", 3), ("B", 5)]
    assert problems == ["line 4: 'no equals' has no '='; systemd ignores it"]


ENV = {"OPTS": "-c /etc/mb.yml  -e", "ONE": "a b", "EMPTY": "", "Q": "-d \"x y\" 'z'"}


@pytest.mark.parametrize(
    "line, argv",
    [
        ("/bin/mb $OPTS", ["/bin/mb", "-c", "/etc/mb.yml", "-e"]),  # $VAR alone: split at whitespace
        ("/bin/mb ${OPTS}", ["/bin/mb", "-c /etc/mb.yml  -e"]),  # ${VAR}: one word, verbatim
        ("/bin/mb --x=${ONE}", ["/bin/mb", "--x=a b"]),
        ("/bin/mb --x=$ONE", ["/bin/mb", "--x=$ONE"]),  # $VAR inside a word is not expanded
        ("/bin/mb $UNSET $EMPTY end", ["/bin/mb", "end"]),  # unset or empty: no word at all
        ("/bin/mb ${UNSET}", ["/bin/mb", ""]),
        ("/bin/mb $$HOME a$$b", ["/bin/mb", "$HOME", "a$b"]),
        ("/bin/mb $Q", ["/bin/mb", "-d", "x y", "z"]),  # quotes in the value group words
        ("/bin/mb ${UNSET:-dflt} ${ONE:+alt}", ["/bin/mb", "dflt", "alt"]),
        ('/bin/mb "$OPTS"', ["/bin/mb", "-c", "/etc/mb.yml", "-e"]),  # quoting does not stop the split
        (":/bin/mb $OPTS", ["/bin/mb", "$OPTS"]),  # ':' turns expansion off
        ("-@/bin/mb metricbeat -e", ["metricbeat", "-e"]),  # '@': the second word is argv[0]
        ("/bin/mb %n", ["/bin/mb", "mb.service"]),
    ],
)
def test_exec_start_expansion(line: str, argv: List[str]) -> None:
    command = parse_exec_line(line, "mb.service", "/u:1")
    assert expand_exec_words(command, ENV) == argv


def test_exec_prefixes_are_kept() -> None:
    command = parse_exec_line("-+/bin/mb", "mb.service", "/u:3")
    assert command == ExecCommand(("/bin/mb",), "/u:3", ignore_failure=True, privileged=True)


@pytest.mark.parametrize("line", ["", "@/bin/mb", "/bin/mb %Z", '/bin/mb "open'])
def test_unusable_exec_start(line: str) -> None:
    with pytest.raises(UnitError, match="^/u:1: "):
        parse_exec_line(line, "mb.service", "/u:1")


# --- unit trees under a root ---------------------------------------------------------------


def _write(root: Path, path: str, text: str) -> None:
    target = root / path.lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)


def test_dropins_override_in_name_order_across_directories(tmp_path: Path) -> None:
    _write(tmp_path, "/lib/systemd/system/mb.service",
           "[Service]\nEnvironment=A=lib\nExecStart=/bin/mb -e\nUser=nobody\n")
    _write(tmp_path, "/usr/lib/systemd/system/mb.service", "[Service]\nEnvironment=A=usr\nExecStart=/bin/mb\n")
    _write(tmp_path, "/usr/lib/systemd/system/mb.service.d/20-b.conf", "[Service]\nEnvironment=B=usr20\n")
    _write(tmp_path, "/etc/systemd/system/mb.service.d/20-b.conf", "[Service]\nEnvironment=B=etc20\n")
    _write(tmp_path, "/run/systemd/system/mb.service.d/10-a.conf", "[Service]\nEnvironment=C=run10 B=run10\n")
    _write(tmp_path, "/usr/lib/systemd/system/service.d/05-all.conf", "[Service]\nEnvironment=D=all\n")
    _write(tmp_path, "/etc/systemd/system/mb.service.d/30-exec.conf",
           "[Service]\nExecStart=\nExecStart=/bin/mb -c /x.yml\nEnvironment=\nEnvironment=E=only\n")
    _write(tmp_path, "/etc/systemd/system/mb.service.d/not-a-dropin.txt", "[Service]\nEnvironment=F=no\n")
    unit = read_unit("mb", str(tmp_path))
    assert unit.files == (
        "/usr/lib/systemd/system/mb.service",  # /usr/lib before /lib
        "/usr/lib/systemd/system/service.d/05-all.conf",
        "/run/systemd/system/mb.service.d/10-a.conf",
        "/etc/systemd/system/mb.service.d/20-b.conf",  # hides /usr/lib's 20-b.conf
        "/etc/systemd/system/mb.service.d/30-exec.conf",
    )
    assert unit.exec_start.words == ("/bin/mb", "-c", "/x.yml")
    assert unit.exec_start.origin == "/etc/systemd/system/mb.service.d/30-exec.conf:3"
    env = {k: v.value for k, v in unit.environment.items()}
    assert env == {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin", "E": "only"}  # "Environment=" reset
    assert unit.user is None  # the /lib unit was hidden, its User= too


def test_environment_file_overrides_environment_and_minus_prefix(tmp_path: Path) -> None:
    _write(tmp_path, "/etc/systemd/system/mb.service",
           "[Service]\nEnvironment=A=unit B=unit\nEnvironmentFile=-/etc/default/none\n"
           "EnvironmentFile=/etc/default/mb\nExecStart=/bin/mb\nWorkingDirectory=/srv\n")
    _write(tmp_path, "/etc/default/mb", "# defaults\nB='from file'\n")
    unit = read_unit("mb.service", str(tmp_path))
    assert unit.environment["A"].value == "unit"
    assert unit.environment["A"].origin == "Environment= at /etc/systemd/system/mb.service:2"
    assert unit.environment["B"].value == "from file"
    assert unit.environment["B"].origin == "EnvironmentFile /etc/default/mb:2"
    assert unit.environment_files == ("/etc/default/mb",)
    assert (unit.working_directory, unit.working_directory_origin) == ("/srv", "/etc/systemd/system/mb.service:6")


@pytest.mark.parametrize(
    "files, message",
    [
        ({}, "no unit mb.service in "),
        ({"/etc/systemd/system/mb.service": "[Service]\nUser=x\n"}, "has no ExecStart="),
        ({"/etc/systemd/system/mb.service": "[Service]\nExecStart=/a\nExecStart=/b\n"}, "more than one ExecStart="),
        ({"/etc/systemd/system/mb.service": "[Service\n"}, "invalid section header"),
        ({"/etc/systemd/system/mb.service": "[Service]\nExecStart=/a\nEnvironmentFile=/etc/default/gone\n"},
         "EnvironmentFile=/etc/default/gone"),
    ],
)
def test_unusable_units_say_why_in_one_line(tmp_path: Path, files: Dict[str, str], message: str) -> None:
    for path, text in files.items():
        _write(tmp_path, path, text)
    with pytest.raises(UnitError, match=message) as caught:
        read_unit("mb", str(tmp_path))
    assert "\n" not in str(caught.value)


def test_masked_unit_and_alias_symlink(tmp_path: Path) -> None:
    _write(tmp_path, "/usr/lib/systemd/system/metricbeat.service", "[Service]\nExecStart=/bin/metricbeat\n")
    _write(tmp_path, "/usr/lib/systemd/system/metricbeat.service.d/x.conf", "[Service]\nEnvironment=X=1\n")
    (tmp_path / "etc/systemd/system").mkdir(parents=True)
    (tmp_path / "etc/systemd/system/mb.service").symlink_to("/usr/lib/systemd/system/metricbeat.service")
    unit = read_unit("mb", str(tmp_path))
    assert unit.files[0] == "/usr/lib/systemd/system/metricbeat.service"
    assert unit.environment["X"].value == "1"  # the alias target's drop-ins apply
    (tmp_path / "etc/systemd/system/metricbeat.service").symlink_to("/dev/null")
    with pytest.raises(UnitError, match="masked"):
        read_unit("metricbeat", str(tmp_path))


def test_an_instance_comes_from_its_template(tmp_path: Path) -> None:
    _write(tmp_path, "/usr/lib/systemd/system/filebeat@.service",
           "[Service]\nExecStart=/usr/share/filebeat/bin/filebeat -c /etc/filebeat/%i.yml\n")
    _write(tmp_path, "/etc/systemd/system/filebeat@.service.d/a.conf", "[Service]\nEnvironment=A=template\n")
    _write(tmp_path, "/etc/systemd/system/filebeat@prod.service.d/b.conf", "[Service]\nEnvironment=A=instance\n")
    unit = read_unit("filebeat@prod", str(tmp_path))
    assert unit.exec_start.words == ("/usr/share/filebeat/bin/filebeat", "-c", "/etc/filebeat/prod.yml")
    assert unit.environment["A"].value == "instance"
    assert unit.files[1:] == ("/etc/systemd/system/filebeat@.service.d/a.conf",
                              "/etc/systemd/system/filebeat@prod.service.d/b.conf")


def test_environment_file_wildcards(tmp_path: Path) -> None:
    _write(tmp_path, "/etc/systemd/system/mb.service",
           "[Service]\nEnvironmentFile=/etc/mb/env.d/*.env\nEnvironmentFile=-/etc/mb/none/*.env\nExecStart=/bin/mb\n")
    _write(tmp_path, "/etc/mb/env.d/20.env", "A=second\n")
    _write(tmp_path, "/etc/mb/env.d/10.env", "A=first\nB=b\n")
    unit = read_unit("mb", str(tmp_path))
    assert unit.environment_files == ("/etc/mb/env.d/10.env", "/etc/mb/env.d/20.env")
    assert (unit.environment["A"].value, unit.environment["A"].origin) == (
        "second", "EnvironmentFile /etc/mb/env.d/20.env:1")
