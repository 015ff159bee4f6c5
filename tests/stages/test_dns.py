"""The dns stage against a real DNS server on loopback and hosts files the tests write."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator, Optional

import pytest

from esprobe.context import Deadline, ProbeContext
from esprobe.demo.standins.dns import FakeDns, Zone
from esprobe.model import Role, Status, Target
from esprobe.net.resolver import parse_nameserver, read_hosts_file, read_nsswitch_hosts, resolve, with_crosscheck
from esprobe.stages.dns import judge_dns


@pytest.fixture(scope="module")
def dns_server() -> Iterator[FakeDns]:
    zone = Zone(
        a={
            "es1.example.test": ["127.0.0.11"],
            "both.example.test": ["127.0.0.12"],
            "pinned.example.test": ["127.0.0.20"],
            "xn--bcher-kva.example.test": ["127.0.0.13"],
            "real.example.test": ["127.0.0.14"],
        },
        aaaa={
            "both.example.test": ["::1"],
            "v6only.example.test": ["::1"],
            "mapped.example.test": ["::ffff:127.0.0.15"],
        },
        cname={"alias.example.test": "middle.example.test", "middle.example.test": "real.example.test"},
        servfail={"broken.example.test"},
        refused={"refused.example.test"},
        silent={"silent.example.test"},
        nodata={"noaddr.example.test"},
    )
    with FakeDns(zone) as server:
        yield server


def _ctx(tmp_path: Path, server: Optional[FakeDns], hosts: str = "", nsswitch: str = "hosts: files dns\n",
         timeout: float = 2.0) -> ProbeContext:
    hosts_file = tmp_path / "hosts"
    hosts_file.write_text(hosts)
    nss = tmp_path / "nsswitch.conf"
    nss.write_text(nsswitch)
    return ProbeContext(
        timeout=timeout,
        deadline=Deadline(timeout * 4),
        hosts_file=str(hosts_file),
        hosts_file_overridden=True,
        nameservers=(parse_nameserver(server.nameserver),) if server else (("127.0.0.1", 1),),
        nsswitch_conf=str(nss),
    )


def _target(host: str) -> Target:
    return Target(id="elasticsearch[0]", role=Role.ELASTICSEARCH, url=f"https://{host}:9200", scheme="https",
                  host=host, port=9200, setting="output.elasticsearch.hosts.0")


def _probe(host: str, ctx: ProbeContext):  # type: ignore[no-untyped-def]
    """Resolve and judge, with the background DNS cross-check folded in (as the runner does at the end)."""
    return judge_dns(_target(host), with_crosscheck(resolve(host, ctx)))


def _codes(result) -> list:  # type: ignore[no-untyped-def]
    return [f.code for f in result.findings]


@pytest.mark.parametrize(
    ("host", "status", "codes", "addresses"),
    [
        ("es1.example.test", Status.OK, [], ["127.0.0.11"]),
        ("ES1.Example.Test.", Status.OK, [], ["127.0.0.11"]),
        ("both.example.test", Status.OK, [], ["127.0.0.12", "::1"]),
        ("v6only.example.test", Status.OK, [], ["::1"]),
        ("nosuch.example.test", Status.FAIL, ["dns-nxdomain"], []),
        ("noaddr.example.test", Status.FAIL, ["dns-no-address"], []),
        ("broken.example.test", Status.FAIL, ["dns-servfail"], []),
        ("refused.example.test", Status.FAIL, ["dns-refused"], []),
        ("bücher.example.test", Status.OK, [], ["127.0.0.13"]),
    ],
)
def test_dns_answers_are_told_apart(tmp_path: Path, dns_server: FakeDns, host: str, status: Status,
                                    codes: list, addresses: list) -> None:
    """Each DNS outcome gets its own verdict and finding, and every address is reported with its source."""
    result = _probe(host, _ctx(tmp_path, dns_server))
    assert result.status is status, result.summary
    assert _codes(result) == codes
    assert [a["address"] for a in result.details["addresses"]] == addresses
    assert all(a["source"] == "dns" for a in result.details["addresses"])


def test_silent_nameserver_is_a_timeout_within_the_budget(tmp_path: Path, dns_server: FakeDns) -> None:
    """A nameserver that never answers gives dns-timeout, bounded by --timeout."""
    import time

    started = time.monotonic()
    result = _probe("silent.example.test", _ctx(tmp_path, dns_server, timeout=0.6))
    assert _codes(result) == ["dns-timeout"]
    assert time.monotonic() - started < 0.6 + 1.0


def test_cname_chain_is_shown(tmp_path: Path, dns_server: FakeDns) -> None:
    """The names followed through CNAMEs appear in the summary and the details."""
    result = _probe("alias.example.test", _ctx(tmp_path, dns_server))
    assert result.status is Status.OK
    assert "alias.example.test → middle.example.test → real.example.test" in result.summary
    dns_answer = [a for a in result.details["answers"] if a["source"] == "dns"][0]
    assert dns_answer["cname_chain"] == ["alias.example.test", "middle.example.test", "real.example.test"]


def test_hosts_file_wins_and_disagreement_is_said(tmp_path: Path, dns_server: FakeDns) -> None:
    """With `files dns`, the hosts file answers; when DNS says otherwise the report says so."""
    result = _probe("pinned.example.test", _ctx(tmp_path, dns_server, hosts="127.0.0.99 pinned.example.test\n"))
    assert result.status is Status.OK
    assert [a["address"] for a in result.details["addresses"]] == ["127.0.0.99"]
    assert result.details["addresses"][0]["source"] == "hosts-file"
    assert "disagrees with DNS (127.0.0.20)" in result.details["hosts_file_vs_dns"]


def test_nsswitch_order_dns_first(tmp_path: Path, dns_server: FakeDns) -> None:
    """`hosts: dns files` makes DNS the source even when the hosts file has an entry."""
    ctx = _ctx(tmp_path, dns_server, hosts="127.0.0.99 pinned.example.test\n", nsswitch="hosts: dns [NOTFOUND=return] "
                                                                                        "files\n")
    result = _probe("pinned.example.test", ctx)
    assert [a["address"] for a in result.details["addresses"]] == ["127.0.0.20"]
    assert result.details["nsswitch_order"] == ["dns", "files"]


def test_hosts_file_answer_does_not_wait_for_dns(tmp_path: Path) -> None:
    """When the hosts file answers, DNS is asked in the background: an unreachable nameserver costs the stage
    nothing, and folding its answer in later is bounded by the cross-check budget."""
    import time

    ctx = _ctx(tmp_path, None, hosts="127.0.0.5 es.local es\n", timeout=5.0)
    started = time.monotonic()
    observation = resolve("es", ctx)
    assert time.monotonic() - started < 0.3
    assert [a.address for a in observation.addresses] == ["127.0.0.5"]
    result = judge_dns(_target("es"), with_crosscheck(observation))
    assert result.status is Status.OK
    assert time.monotonic() - started < 2.0
    dns_answer = [a for a in result.details["answers"] if a["source"] == "dns"][0]
    assert dns_answer["outcome"] == "unreachable"  # nothing listens on port 1: ICMP says so at once


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "[::1]"])
def test_ip_literal_needs_no_lookup(tmp_path: Path, host: str) -> None:
    """IP literals pass straight through without any query."""
    result = _probe(host, _ctx(tmp_path, None))
    assert result.status is Status.OK
    assert "no lookup" in result.summary
    assert result.details["addresses"][0]["family"] == ("ipv6" if ":" in host else "ipv4")


def test_invalid_idn_is_reported(tmp_path: Path) -> None:
    """A name IDNA cannot encode fails with dns-idna-invalid instead of a traceback."""
    result = _probe("bad\u200b\u0600name.test", _ctx(tmp_path, None))
    assert _codes(result) == ["dns-idna-invalid"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hosts: files dns\n", ("files", "dns")),
        ("# comment\nhosts:   files mdns4_minimal [NOTFOUND=return] dns myhostname\n",
         ("files", "mdns4_minimal", "dns", "myhostname")),
        ("passwd: files\n", ("files", "dns")),
    ],
)
def test_nsswitch_parsing(tmp_path: Path, text: str, expected: tuple) -> None:
    path = tmp_path / "nsswitch.conf"
    path.write_text(text)
    assert read_nsswitch_hosts(str(path)) == expected


def test_hosts_file_parsing(tmp_path: Path) -> None:
    """Aliases, comments, case, IPv6 and several lines for one name are all understood."""
    path = tmp_path / "hosts"
    path.write_text("127.0.0.1 localhost # me\n::1 localhost ip6-localhost\n10.0.0.5 ES1.corp es1\nbogus line\n")
    table = read_hosts_file(str(path))
    assert table["localhost"] == ["127.0.0.1", "::1"]
    assert table["es1"] == ["10.0.0.5"]
    assert table["es1.corp"] == ["10.0.0.5"]


def test_a_changed_hosts_file_or_nsswitch_is_read_again(tmp_path: Path, dns_server: FakeDns) -> None:
    """The files are read once per run, not per target (issue #20), but an edit between lookups is seen."""
    ctx = _ctx(tmp_path, dns_server, hosts="127.0.0.21 edited.hosts.test\n")
    first = resolve("edited.hosts.test", ctx)
    assert [a.address for a in first.addresses] == ["127.0.0.21"]
    # a longer line: a rewrite within the file system's clock tick would keep the modification time
    Path(ctx.hosts_file).write_text("127.0.0.122 edited.hosts.test\n")
    assert [a.address for a in resolve("edited.hosts.test", ctx).addresses] == ["127.0.0.122"]
    Path(ctx.nsswitch_conf).write_text("hosts:    dns\n")  # the hosts file is no longer asked at all
    assert [a.source for a in resolve("edited.hosts.test", ctx).answers] == ["dns"]


def test_mapped_addresses_read_as_go_writes_them(tmp_path: Path, dns_server: FakeDns) -> None:
    """An IPv4-mapped address, from the hosts file or an AAAA answer, is shown as IPv4 (net.IP.String())."""
    path = tmp_path / "hosts"
    path.write_text("::ffff:127.0.0.9 mapped.hosts.test\n")
    assert read_hosts_file(str(path))["mapped.hosts.test"] == ["127.0.0.9"]
    answers = ask("mapped.example.test", ResolverConfig((parse_nameserver(dns_server.nameserver),), (), 1), 2.0)
    assert answers["AAAA"].addresses == ("127.0.0.15",)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("127.0.0.1:5353", ("127.0.0.1", 5353)), ("127.0.0.1", ("127.0.0.1", 53)),
     ("[::1]:5353", ("::1", 5353)), ("::1", ("::1", 53))],
)
def test_parse_nameserver(text: str, expected: tuple) -> None:
    assert parse_nameserver(text) == expected


@pytest.mark.parametrize("text", ["dns.example:53", "127.0.0.1:0", "127.0.0.1:x"])
def test_parse_nameserver_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_nameserver(text)


# --- the stub resolver's own rules -------------------------------------------------------------------

from esprobe.net.dnsquery import ResolverConfig, ask, candidate_names  # noqa: E402


@pytest.mark.parametrize(
    ("name", "search", "ndots", "expected"),
    [
        ("es01", (), 1, ["es01."]),
        ("es01", ("corp.test", "lab.test"), 1, ["es01.corp.test.", "es01.lab.test.", "es01."]),
        ("es01.dc1", ("corp.test",), 1, ["es01.dc1.", "es01.dc1.corp.test."]),
        ("es01.dc1", ("corp.test",), 2, ["es01.dc1.corp.test.", "es01.dc1."]),
        ("es01.corp.test.", ("corp.test",), 1, ["es01.corp.test."]),
    ],
)
def test_candidate_names_follow_search_and_ndots(name: str, search: tuple, ndots: int, expected: list) -> None:
    assert candidate_names(name, ResolverConfig((("127.0.0.1", 53),), search, ndots)) == expected


def test_search_domain_completes_a_short_name(dns_server: FakeDns) -> None:
    """'es1' with search example.test finds es1.example.test; the first candidate's NXDOMAIN is not the verdict."""
    from esprobe.net.resolver import parse_nameserver

    config = ResolverConfig((parse_nameserver(dns_server.nameserver),), ("nowhere.test", "example.test"), 1)
    answers = ask("es1", config, 2.0)
    assert answers["A"].addresses == ("127.0.0.11",)


def test_second_nameserver_answers_when_the_first_is_silent(dns_server: FakeDns) -> None:
    """A first server that never answers costs its share of the time; the second one answers."""
    import socket as _socket
    import time

    from esprobe.net.resolver import parse_nameserver

    silent = _socket.socket(_socket.AF_INET, _socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))
    try:
        config = ResolverConfig((("127.0.0.1", silent.getsockname()[1]), parse_nameserver(dns_server.nameserver)))
        started = time.monotonic()
        answers = ask("es1.example.test", config, 1.0)
        assert answers["A"].addresses == ("127.0.0.11",)
        assert time.monotonic() - started < 1.0
    finally:
        silent.close()


def test_truncated_answer_is_asked_again_over_tcp(tmp_path: Path) -> None:
    """A UDP answer with the TC bit set is followed by the same question over TCP."""
    zone = Zone(a={"big.example.test": [f"127.0.1.{i}" for i in range(1, 120)]})
    with FakeDns(zone, truncate_udp_over=512) as server:
        result = _probe("big.example.test", _ctx(tmp_path, server))
    assert len(result.details["addresses"]) == 119


def test_resolv_conf_parsing(tmp_path: Path) -> None:
    """nameserver lines (three at most), the last search/domain line, options ndots; junk ignored."""
    from esprobe.net.dnsquery import parse_resolv_conf

    path = tmp_path / "resolv.conf"
    path.write_text("# a comment\nnameserver 127.0.0.53\nnameserver bogus\nnameserver ::1\ndomain old.test\n"
                    "search corp.test lab.test ; trailing\noptions edns0 ndots:2 timeout:1\nnameserver 127.0.0.2\n"
                    "nameserver 127.0.0.3\n")
    config = parse_resolv_conf(str(path))
    assert config.servers == (("127.0.0.53", 53), ("::1", 53), ("127.0.0.2", 53))
    assert config.search == ("corp.test", "lab.test")
    assert config.ndots == 2
