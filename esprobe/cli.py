"""
The command line: parse, run, render, write, and the one exit-code table.

Kept light on purpose: `esprobe --version` and `--help` must not import requests, pyOpenSSL,
cryptography, dnspython, PyYAML or tabulate. So this module is the one place where imports wait
inside functions: each subcommand's machinery (the probe, the bundle, the demo, the renderers) is
imported where the chosen subcommand needs it, and nowhere else in the package.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import traceback
import warnings
from typing import TYPE_CHECKING, List, NoReturn, Optional, Sequence, TextIO

from esprobe import __version__
from esprobe.beat_lines import default_beat_version, known_lines
from esprobe.environment import Environment
from esprobe.exit_codes import EXIT_INTERRUPTED, EXIT_OK, EXIT_UNKNOWN
from esprobe.output import emit
from esprobe.redact import Redactor

if TYPE_CHECKING:  # for annotations only: at run time they would load the network stack, or (the model's
    # hundred-odd fields of frozen dataclasses) slow down --version and --help
    from esprobe.model import Report
    from esprobe.probe.check import CheckOptions

ROLES = ("elasticsearch", "kibana", "monitoring", "logstash")
FORMATS = ("table", "json", "nagios", "prometheus")
SUBCOMMANDS = ("check", "bundle", "demo", "explain")

_DESCRIPTION = """\
Tell why a Beat can or cannot talk securely to Elasticsearch and Kibana. esprobe reads the Beat's
config the way the Beat does, then checks dns, tcp, tls, hostname, http, auth and privileges for
every host, and says what to change.

main options of check (the default) and bundle; `esprobe check --help` lists them all:
  -c PATH                the Beat's config file, as for `metricbeat -c` (repeatable)
  -E KEY=VALUE           override a setting, with the Beat's -E syntax
  --format FORMAT        table (default), json, nagios or prometheus
  --output PATH          write the report to PATH, atomically, instead of stdout (bundle: the zip)
  -v                     verbose: certificates, addresses, identity (--save-chain DIR: PEM files)
  --only ROLE ...        elasticsearch, kibana, monitoring and/or logstash
  --keystore PATH        the Beat's keystore (default: where the Beat keeps it)
  --timeout SECONDS      bound of each network step (default 5)
  --warn-days N, --crit-days N   certificate expiry thresholds in days (default 30 and 7)"""

_EPILOG = """\
examples:
  esprobe demo                                         see it work, no Elasticsearch needed
  esprobe -c /etc/metricbeat/metricbeat.yml            troubleshoot from a shell
  esprobe -c metricbeat.yml -E 'output.elasticsearch.hosts=["https://es2:9200"]'
  esprobe -c metricbeat.yml --only kibana --format json
  esprobe -c metricbeat.yml --format nagios            a Nagios/Icinga check
  esprobe -c metricbeat.yml --format prometheus --output /var/lib/node_exporter/esprobe.prom
  esprobe bundle -c metricbeat.yml -o case.zip         a redacted archive for a support case
  esprobe explain tls-unknown-ca                       what a finding means, how to fix it

exit codes: 0 ok, 1 warnings, 2 a stage failed, 3 could not judge (bad command line or config),
130 interrupted (Ctrl-C)"""


class UsageError(Exception):
    """The command line cannot be run as given."""


# --timeout bounds: below a millisecond nothing answers; above an hour the run deadline (4x) no
# longer fits what a scheduler or a person waits for, and the clock arithmetic behind waits
# (threading, select) overflows long before 1e300. inf and nan are refused by the same test.
MIN_TIMEOUT, MAX_TIMEOUT = 0.001, 3600.0


def _timeout(text: "str | float") -> float:
    """``--timeout``, checked after parsing so that a wrong value is one line (UsageError), exit 3."""
    if isinstance(text, float):
        return text  # the default
    try:
        value = float(text)
    except ValueError:
        raise UsageError(f"--timeout {text}: not a number of seconds") from None
    if not MIN_TIMEOUT <= value <= MAX_TIMEOUT:  # also false for nan
        raise UsageError(f"--timeout {text}: must be a number of seconds from {MIN_TIMEOUT:g} to {MAX_TIMEOUT:g}")
    return value


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def _positive_int(text: str) -> int:
    value = _non_negative_int(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _add_check_options(parser: argparse.ArgumentParser, *, report_output: bool = True) -> None:
    parser.add_argument("-c", "--config", action="append", default=[], metavar="PATH",
                        help="the Beat's YAML config (repeatable, merged in order, as the Beat does)")
    parser.add_argument("-E", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override a setting, with the Beat's -E syntax")
    parser.add_argument("--keystore", metavar="PATH", help="the Beat's keystore (default: where the Beat keeps it)")
    parser.add_argument("--service", metavar="NAME",
                        help="probe as the systemd service NAME runs the Beat: its unit, drop-ins, environment, "
                             "flags, working directory and user")
    parser.add_argument("--pid", type=_positive_int, metavar="PID",
                        help="probe as the running Beat PID does (/proc/PID: command line, environment, cwd, root)")
    parser.add_argument("--all", action="store_true", help="every Beat service installed on the host, one report each")
    parser.add_argument("--root", metavar="DIR", help="read units and the Beat's files under DIR (as systemctl --root)")
    parser.add_argument("--format", choices=FORMATS, default="table", help="output format (default: table)")
    if report_output:  # `bundle` has one path option only, the zip's: `--output` there is the zip
        parser.add_argument("--output", metavar="PATH", help="write the report to PATH atomically instead of stdout")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="table: show the certificates, addresses tried, protocol, cipher and identity of every "
                             "target, passing ones too")
    parser.add_argument("--save-chain", metavar="DIR",
                        help="write the certificate chain each server sent to DIR (<target>.chain.pem and one "
                             "<target>.<n>.pem per certificate, leaf first)")
    parser.add_argument("--timeout", default=5.0, metavar="SECONDS",
                        help="bound of each network step (default 5); the run ends within 4x this")
    parser.add_argument("--hosts-file", metavar="PATH", help="read PATH instead of /etc/hosts")
    parser.add_argument("--nameserver", action="append", default=[], metavar="ADDR[:PORT]",
                        help="ask this DNS server instead of resolv.conf's (repeatable)")
    parser.add_argument("--only", action="extend", nargs="+", choices=ROLES, default=[], metavar="ROLE",
                        help="probe only these roles: " + ", ".join(ROLES))
    parser.add_argument("--warn-days", type=_non_negative_int, default=30, metavar="N",
                        help="warn when a certificate expires within N days (default 30)")
    parser.add_argument("--crit-days", type=_non_negative_int, default=7, metavar="N",
                        help="fail when a certificate expires within N days (default 7)")
    parser.add_argument("--concurrency", type=_positive_int, default=64, metavar="N",
                        help="targets probed at once (default 64)")
    parser.add_argument("--beat-version", metavar="X.Y[.Z]", default=None,
                        help="judge by the Go rules of this Beat release (default: the newest esprobe documents, "
                             f"{default_beat_version()}; known: {', '.join(known_lines())})")
    parser.add_argument("--no-color", action="store_true", help="no colour in the table (also: NO_COLOR)")
    parser.add_argument("--strict-perms", choices=("true", "false"), default="true", metavar="true|false",
                        help="as the Beat's -strict.perms: false when the Beat runs with -strict.perms=false "
                        "(default true; BEAT_STRICT_PERMS=false also turns it off)")
    parser.add_argument("--debug", action="store_true",
                        help="show tracebacks of internal errors (the exit code stays the same)")


def _terminal_columns() -> int:
    """shutil.get_terminal_size's columns (COLUMNS, else the terminal on stdout, else 80), without shutil."""
    try:
        columns = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        columns = 0
    if columns > 0:
        return columns
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or 80  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return 80


class _SizedFormatter(argparse.HelpFormatter):
    """
    argparse's formatter with the width worked out here: its own imports shutil (with bz2, lzma and zlib,
    ~6 ms) for the terminal size, and argparse builds a formatter for every add_argument, so every run paid it.
    """

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: Optional[int] = None) -> None:
        super().__init__(prog, indent_increment, max_help_position,
                         _terminal_columns() - 2 if width is None else width)


class _RawDescriptionFormatter(_SizedFormatter, argparse.RawDescriptionHelpFormatter):
    pass


def _parser_class(stdout: TextIO, stderr: TextIO) -> type:
    """An ArgumentParser whose help and errors go to the given streams, not sys.stdout/stderr."""

    class Parser(argparse.ArgumentParser):
        def _print_message(self, message: str, file: object = None) -> None:
            if message:
                (stderr if file is sys.stderr else stdout).write(message)

    return Parser


def build_parser(stdout: Optional[TextIO] = None, stderr: Optional[TextIO] = None) -> argparse.ArgumentParser:
    parser_class = _parser_class(stdout or sys.stdout, stderr or sys.stderr)
    parser = parser_class(
        prog="esprobe",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=_RawDescriptionFormatter,
        usage="esprobe [check|bundle|explain|demo] [-c PATH] [-E KEY=VALUE] [--format FORMAT] [options]",
    )
    parser.add_argument("--version", action="version", version=f"esprobe {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="{check,bundle,explain,demo}", prog="esprobe")
    check = sub.add_parser("check", help="probe every target of the config (the default)",
                           epilog=_EPILOG, formatter_class=_RawDescriptionFormatter)
    _add_check_options(check)
    bundle = sub.add_parser("bundle", help="run the check and write a redacted support zip (-o PATH)",
                            epilog=_EPILOG, formatter_class=_RawDescriptionFormatter)
    _add_check_options(bundle, report_output=False)
    bundle.add_argument("-o", "--output", dest="bundle_path", metavar="PATH",
                        help="the zip to write (default esprobe-bundle-<host>-<UTC time>.zip); the report itself "
                             "goes to stdout; an existing file is kept unless --force")
    bundle.add_argument("--force", action="store_true", help="replace an existing file at -o PATH")
    explain = sub.add_parser("explain", help="a finding code's meaning, causes and fix (offline)",
                             formatter_class=_SizedFormatter)
    explain.add_argument("code", nargs="?", metavar="CODE", help="a finding code, e.g. tls-unknown-ca; none: list them")
    demo = sub.add_parser("demo", help="see esprobe at work against stand-ins on loopback: no setup needed",
                          formatter_class=_SizedFormatter)
    demo.add_argument("--no-color", action="store_true", help="no colour (also: NO_COLOR)")
    demo.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    return parser


def _with_default_command(argv: Sequence[str]) -> List[str]:
    """`esprobe -c x.yml` means `esprobe check -c x.yml`, as docs/report-contract.md says."""
    args = list(argv)
    for arg in args:
        if arg in SUBCOMMANDS:
            return args
        if arg in ("-h", "--help", "--version"):
            return args
        break
    return ["check", *args]


def _in_cwd(env: Environment, path: Optional[str]) -> Optional[str]:
    """A path from the command line, relative to the Environment's working directory."""
    return os.path.join(env.cwd, path) if path else path


def _check_options(args: argparse.Namespace, env: Environment) -> "CheckOptions":
    # check/bundle only: the probe imports the whole network stack, and the rule sets their dataclass
    from esprobe.probe.check import CheckOptions, default_config_paths, parse_nameserver
    from esprobe.rulesets import resolve as resolve_rules

    args.timeout = _timeout(args.timeout)

    nameservers = []
    for text in args.nameserver:
        try:
            nameservers.append(parse_nameserver(text))
        except ValueError as error:
            raise UsageError(f"--nameserver {text}: {error}") from None
    if args.crit_days > args.warn_days:
        raise UsageError(f"--crit-days ({args.crit_days}) must not be greater than --warn-days ({args.warn_days})")
    try:
        resolve_rules(args.beat_version)
    except ValueError as error:
        raise UsageError(str(error)) from None
    launched = sum(1 for given in (args.service, args.pid, args.all) if given)
    if launched > 1:
        raise UsageError("--service, --pid and --all exclude one another")
    if launched and args.config:
        raise UsageError("-c cannot be combined with --service, --pid or --all: the Beat's own -c is used")
    if args.root and (args.pid or not launched):
        raise UsageError("--root goes with --service or --all")
    for flag in args.overrides:
        _require_text(flag, "-E " + flag.partition("=")[0])
    for name in ("config", "keystore", "hosts_file"):
        for value in ([getattr(args, name)] if not isinstance(getattr(args, name), list) else getattr(args, name)):
            if value:
                _require_text(value, f"--{name.replace('_', '-')}")
    paths = tuple(args.config) or (() if launched else _default_config(env, default_config_paths(env.cwd)))
    for path in paths:
        full = os.path.join(env.cwd, path)
        if os.path.isdir(full):
            example = os.path.join(path, "metricbeat.yml")
            raise UsageError(f"-c {path}: is a directory; give the Beat's YAML file, e.g. -c {example}")
        if not os.path.lexists(full):
            raise UsageError(f"-c {path}: no such file")
    hosts_file = _in_cwd(env, args.hosts_file) or ""
    if args.hosts_file and (not os.path.exists(hosts_file) or os.path.isdir(hosts_file)):
        raise UsageError(f"--hosts-file {args.hosts_file}: " + ("is a directory" if os.path.isdir(hosts_file)
                                                                else "no such file"))
    options = CheckOptions(
        config_paths=tuple(os.path.join(env.cwd, p) for p in paths),
        overrides=tuple(args.overrides),
        keystore=_in_cwd(env, args.keystore),
        timeout=args.timeout,
        hosts_file=_in_cwd(env, args.hosts_file),
        nameservers=tuple(nameservers),
        only=tuple(dict.fromkeys(args.only)),
        warn_days=args.warn_days,
        crit_days=args.crit_days,
        concurrency=args.concurrency,
        environ=env.environ,
        beat_version=args.beat_version,
        strict_perms=args.strict_perms == "true",
    )
    if args.service or args.pid:
        from esprobe.services import LaunchError, invocation_from_args, options_for  # --service/--pid only

        try:
            invocation = invocation_from_args(args.service, args.pid, _in_cwd(env, args.root) or "/")
        except LaunchError as error:
            raise UsageError(str(error)) from None
        return options_for(options, invocation, args.overrides)
    return options


def _default_config(env: Environment, found: Sequence[str]) -> "tuple[str, ...]":
    """Without -c: the one ``*beat.yml`` in the working directory (*found*); none or several is a usage error."""
    if not found:
        raise UsageError("no config file: give the Beat's config with -c PATH")
    if len(found) > 1:
        raise UsageError(f"{' and '.join(found)} are both in {env.cwd}: which one? use -c PATH")
    return tuple(found)


def _require_text(value: str, what: str) -> None:
    """
    The operating system hands over arguments as bytes, and Python keeps bytes that are not UTF-8
    as lone surrogates; such a value would break later, far from its cause (in a Basic token, a
    header, a report). Refuse it here, naming the option but never showing the value (a password).
    """
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        shown = what.encode("utf-8", "backslashreplace").decode("utf-8")
        raise UsageError(f"{shown}: the value is not valid UTF-8; give it as UTF-8 text") from None


def render(report: Report, fmt: str, *, color: bool, verbose: bool = False) -> str:
    """Report -> text in the chosen format."""
    # Each format imports its own renderer only: the table's brings tabulate and wcwidth (about 10 ms),
    # which a JSON, Nagios or Prometheus run started every minute by a scheduler never needs.
    if fmt == "json":
        from esprobe.render.json import render_json  # json only

        return render_json(report)
    if fmt == "nagios":
        from esprobe.render.nagios import render_nagios  # nagios only

        return render_nagios(report)
    if fmt == "prometheus":
        from esprobe.render.prometheus import render_prometheus  # prometheus only

        return render_prometheus(report)
    from esprobe.render.table import render_table  # the table only: tabulate

    return render_table(report, color=color, verbose=verbose)


def _use_color(args: argparse.Namespace, env: Environment) -> bool:
    if getattr(args, "no_color", False) or "NO_COLOR" in env.environ:
        return False
    return env.stdout_isatty and not getattr(args, "output", None)


def _run(args: argparse.Namespace, env: Environment, redactor: Redactor) -> int:
    if args.command == "demo":
        from esprobe.demo.command import run_demo  # the demo only: stand-in servers and their PKI

        _startup_over()
        return run_demo(env, main, color=_use_color(args, env))
    if args.command == "explain":
        from esprobe.findings.explain import explain  # explain only: the whole findings catalogue

        _startup_over()
        text, code = explain(args.code)
        (env.stdout if code == EXIT_OK else env.stderr).write(text)
        return code

    options = _check_options(args, env)
    _startup_over()
    for name in ("output", "bundle_path"):  # bundle has no report --output: its -o/--output is the zip
        if getattr(args, name, None):
            setattr(args, name, _in_cwd(env, getattr(args, name)))
    if args.all:
        return _run_all(args, env, options, redactor)
    from esprobe.probe.check import run_check  # loaded already by _check_options: no cost here

    report, loaded = run_check(options, redactor)
    text = render(report, args.format, color=_use_color(args, env), verbose=args.verbose)
    if args.save_chain:
        from esprobe.save_chain import SaveChainError, save_chains  # --save-chain only

        try:
            for line in save_chains(report, _in_cwd(env, args.save_chain) or ""):
                env.stderr.write(f"esprobe: {line}\n")
        except SaveChainError as error:
            env.stderr.write(f"esprobe: error: {error}\n")
            return EXIT_UNKNOWN
    if args.command == "bundle":
        from esprobe.bundle.write import BundleError, write_bundle  # bundle only: zip, YAML, system facts

        try:
            path = write_bundle(args.bundle_path, report, loaded, options, redactor, env, force=args.force)
        except BundleError as error:
            env.stderr.write(f"esprobe: {redactor.redact(str(error))}\n")
            return EXIT_UNKNOWN
        env.stderr.write(f"esprobe: support bundle written to {path}\n")
        emit(text, redactor, stream=env.stdout)
        return report.exit_code
    try:
        emit(text, redactor, stream=env.stdout, path=args.output, wait=args.timeout)
    except OSError as error:
        env.stderr.write(f"esprobe: cannot write {args.output}: {error.strerror or error}\n")
        return EXIT_UNKNOWN
    if args.output and report.config_unusable:
        # The report went to a file; whoever runs this from cron or a timer still sees why it was exit 3.
        first = next(f for f in report.findings if f.severity.value == "fail")
        env.stderr.write(redactor.redact(f"esprobe: error: {first.code}: {first.message}\n"))
    return report.exit_code


def _run_all(args: argparse.Namespace, env: Environment, options: "CheckOptions", redactor: Redactor) -> int:
    from esprobe.services import LaunchError, run_all  # --all only

    if args.command == "bundle":
        raise UsageError("a bundle is for one Beat: use --service NAME or --pid PID")
    try:
        reports, problems = run_all(options, args.overrides, _in_cwd(env, args.root) or "/", redactor)
    except LaunchError as error:
        raise UsageError(str(error)) from None
    for problem in problems:
        env.stderr.write(f"esprobe: left out: {redactor.redact(problem)}\n")
    if args.format == "table":
        from esprobe.render.table import render_tables  # the table only: tabulate, as in `render`

        text = render_tables(reports, color=_use_color(args, env))
    else:
        from esprobe.render.many import render_many  # json, nagios, prometheus: no tabulate

        text = render_many(reports, args.format)
    try:
        emit(text, redactor, stream=env.stdout, path=args.output, wait=args.timeout)
    except OSError as error:
        env.stderr.write(f"esprobe: cannot write {args.output}: {error.strerror or error}\n")
        return EXIT_UNKNOWN
    return max(report.exit_code for report in reports)


def main(argv: Optional[Sequence[str]] = None, env: Optional[Environment] = None) -> int:
    """Entry point for ``esprobe`` and ``python -m esprobe``; returns the process exit status."""
    env = env or Environment.from_process()
    parser = build_parser(env.stdout, env.stderr)
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = parser.parse_args(_with_default_command(argv))
    except SystemExit as exit_:  # argparse printed its message or the help already
        return EXIT_OK if exit_.code in (0, None) else EXIT_UNKNOWN
    if args.command is None:
        parser.print_usage(env.stderr)
        return EXIT_UNKNOWN
    if not getattr(args, "debug", False):
        # Library warnings (a deprecated certificate encoding, say) would land on stderr, which
        # cron mails; whatever matters about a certificate is a finding instead.
        warnings.simplefilter("ignore")
    redactor = Redactor()  # every secret the run meets; the one filter of all it writes
    try:
        return _run(args, env, redactor)
    except KeyboardInterrupt:
        env.stderr.write("\nesprobe: interrupted\n")
        return EXIT_INTERRUPTED
    except UsageError as error:
        env.stderr.write(f"esprobe: error: {error}\n")
        return EXIT_UNKNOWN
    except Exception:
        if getattr(args, "debug", False):
            # The traceback, but the same exit code as without --debug: a scheduler or Nagios
            # must not read a debugging run as another verdict.
            env.stderr.write(redactor.redact(traceback.format_exc()))  # it may quote a secret the run met
            env.stderr.write("esprobe: internal error (traceback above); please report it\n")
            return EXIT_UNKNOWN
        env.stderr.write("esprobe: internal error; run again with --debug and report the traceback\n")
        return EXIT_UNKNOWN


# Start-up allocates tens of thousands of long-lived objects (modules, functions, classes), and the cyclic
# garbage collector scans them again and again as they pile up: nearly 60 collections and 7 ms of a
# 100 ms check (issue #20). The console entry point pauses collection until the chosen subcommand's
# modules are in, then freezes what start-up made (it lives as long as the process) and resumes.
_collection_paused = False


def _pause_collection_for_startup() -> None:
    global _collection_paused
    if gc.isenabled():
        gc.disable()
        _collection_paused = True


def _startup_over() -> None:
    """The subcommand's modules are imported: resume collection (only if the entry point paused it)."""
    global _collection_paused
    if _collection_paused:
        _collection_paused = False
        gc.freeze()
        gc.enable()


def console_main() -> NoReturn:
    """The console-script entry point: `main`, then leave without tearing the interpreter down.

    Everything esprobe writes is written and flushed before it leaves, so the interpreter's own
    shutdown (freeing every module and object one by one, about 8 ms after a check: a twentieth of
    the run, issue #20) buys nothing. It is also unsafe while probe workers are still running:
    workers that Ctrl-C or the run's deadline left behind may be inside OpenSSL, which runs without
    the GIL, and finalising the interpreter under them crashed it (SIGSEGV after "esprobe:
    interrupted", on a busy machine).
    """
    _pause_collection_for_startup()
    code = main()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # a closed pipe (esprobe ... | head) is not an error worth a traceback
            pass
    os._exit(code)
