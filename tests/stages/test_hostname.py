"""The hostname stage: status, details, findings and hints for each verification mode."""

from __future__ import annotations

import pytest

from esprobe.demo.standins import pki
from esprobe.model import Role, Severity, Stage, Status, Target, TlsSettings
from esprobe.stages.hostname import judge_hostname

DETAIL_KEYS = {"name", "mode", "matched", "matched_by"}


def target(host: str, mode: str = "full", tls: bool = True) -> Target:
    settings = TlsSettings(prefix="output.elasticsearch.ssl", verification_mode=mode) if tls else None
    return Target(id="elasticsearch[0]", role=Role.ELASTICSEARCH, url=f"https://{host}:9200",
                  scheme="https" if tls else "http", host=host, port=9200, tls=settings,
                  setting="output.elasticsearch.hosts.0")


@pytest.fixture(scope="module")
def ca() -> pki.CertAuthority:
    return pki.CertAuthority.root("Stage Test CA")


@pytest.mark.parametrize("mode", ["full", "strict"])
def test_matching_san_passes(ca, mode):
    result = judge_hostname(target("es01.example.com", mode), ca.issue(dns=["es01.example.com"]).cert)
    assert (result.stage, result.status, result.findings) == (Stage.HOSTNAME, Status.OK, ())
    assert result.details == {"name": "es01.example.com", "mode": mode, "matched": True, "matched_by": "dns-san"}


@pytest.mark.parametrize("mode", ["full", "strict"])
def test_mismatch_fails_with_the_san_list_and_advice(ca, mode):
    leaf = ca.issue(dns=["es01.example.com", "es02.example.com"], ips=["10.0.0.5"]).cert
    result = judge_hostname(target("elastic.example.com", mode), leaf)
    assert result.status is Status.FAIL and set(result.details) == DETAIL_KEYS
    [finding] = result.findings
    assert finding.code == "hostname-mismatch" and finding.severity is Severity.FAIL
    prefix = "tls: failed to verify certificate: " if mode == "strict" else ""
    assert finding.message.startswith(
        f'The Beat would log: "{prefix}x509: certificate is valid for es01.example.com, es02.example.com, '
        'not elastic.example.com".')
    assert "DNS:es01.example.com, DNS:es02.example.com, IP:10.0.0.5" in finding.message
    assert "output.elasticsearch.hosts.0" in finding.hint and "es01.example.com" in finding.hint
    assert "/etc/hosts" in finding.hint and "last resort" in finding.hint
    assert "verification_mode: none" not in finding.hint.replace("`none` is never the fix", "")
    assert finding.setting == "output.elasticsearch.hosts.0"


def test_partial_wildcard_is_explained(ca):
    result = judge_hostname(target("es-01.example.com"), ca.issue(dns=["es-*.example.com"]).cert)
    assert "partial wildcard" in result.findings[0].message


def test_wildcard_depth_is_explained(ca):
    result = judge_hostname(target("a.b.example.com"), ca.issue(dns=["*.example.com"]).cert)
    assert "exactly one label" in result.findings[0].message


def test_ip_host_without_ip_san(ca):
    result = judge_hostname(target("127.0.0.1"), ca.issue(dns=["es01.example.com"]).cert)
    [finding] = result.findings
    assert finding.code == "hostname-ip-not-in-san"
    assert ('"x509: cannot validate certificate for 127.0.0.1 because it doesn\'t contain any IP SANs"'
            in finding.message)
    assert "es01.example.com" in finding.hint and "--ip 127.0.0.1" in finding.hint


def test_ip_written_as_dns_name_is_pointed_out(ca):
    result = judge_hostname(target("127.0.0.1"), ca.issue("es01", dns=["127.0.0.1"]).cert)
    assert "as a DNS name" in result.findings[0].message


def test_ip_host_matching_only_the_cn_says_so(ca):
    """pki uses the first DNS name as CN: here the CN-as-IP fallback (full mode) rescues the IP host."""
    result = judge_hostname(target("127.0.0.1"), ca.issue(dns=["127.0.0.1"]).cert)
    assert result.status is Status.WARN and "the certificate has no IP SAN for it" in result.findings[0].message


def test_cn_only_certificate_warns_in_full_and_fails_in_strict(ca):
    leaf = ca.issue("es01.example.com", san=False).cert
    full = judge_hostname(target("es01.example.com", "full"), leaf)
    assert full.status is Status.WARN
    assert full.details["matched_by"] == "common-name" and full.details["matched"] is True
    [warning] = full.findings
    assert (warning.code, warning.severity) == ("hostname-cn-only", Severity.WARN)
    assert "passes in full mode today; strict mode and most other clients reject it" in full.summary
    assert warning.setting == "output.elasticsearch.ssl.verification_mode"
    strict = judge_hostname(target("es01.example.com", "strict"), leaf)
    [failure] = strict.findings
    assert (strict.status, failure.code, failure.severity) == (Status.FAIL, "hostname-cn-only", Severity.FAIL)
    assert ('"tls: failed to verify certificate: x509: certificate relies on legacy Common Name field, use SANs '
            'instead"') in failure.message


def test_cn_as_ip_warns_in_full(ca):
    result = judge_hostname(target("127.0.0.1"), ca.issue("127.0.0.1", san=False).cert)
    assert result.status is Status.WARN and result.findings[0].code == "hostname-cn-only"


def test_bare_wildcard_passes_full_but_strict_would_fail(ca):
    result = judge_hostname(target("localhost"), ca.issue("x", dns=["*"]).cert)
    assert result.status is Status.WARN
    assert [f.code for f in result.findings] == ["hostname-strict-would-fail"]


def test_cn_only_mismatch_has_no_names(ca):
    result = judge_hostname(target("es01.example.com"), ca.issue("other.example.com", san=False).cert)
    [finding] = result.findings
    assert finding.code == "hostname-no-names" and "'other.example.com'" in finding.message


def test_invalid_pattern(ca):
    result = judge_hostname(target("-es.example.com"), ca.issue(dns=["-es.example.com"]).cert)
    [finding] = result.findings
    assert finding.code == "hostname-invalid-pattern"
    assert finding.message.startswith('The Beat would log: "invalid hostname in cert".')


@pytest.mark.parametrize("mode", ["certificate", "none"])
def test_modes_without_name_check_do_not_apply_when_full_would_accept(ca, mode):
    result = judge_hostname(target("es01.example.com", mode), ca.issue(dns=["es01.example.com"]).cert)
    assert result.status is Status.SKIPPED and not result.applicable and result.findings == ()
    assert result.summary == (f"not applicable: verification_mode '{mode}' does not check the name "
                              "(full mode would accept es01.example.com)")
    assert result.details == {"name": "es01.example.com", "mode": mode, "matched": True, "matched_by": "dns-san"}


def test_none_mode_does_not_apply_even_to_a_wrong_name(ca):
    """none checks nothing: the tls stage's tls-verification-disabled warning covers it; no second warning."""
    result = judge_hostname(target("wrong.example.com", "none"), ca.issue(dns=["es01.example.com"]).cert)
    assert result.status is Status.SKIPPED and not result.applicable and result.findings == ()
    assert result.summary.startswith("not applicable: verification_mode 'none'")
    assert "full mode would reject" in result.summary
    assert result.details == {"name": "wrong.example.com", "mode": "none", "matched": False, "matched_by": None}


def test_certificate_mode_warns_when_full_would_refuse_the_name(ca):
    """The bug this fixes: certificate mode let a certificate for another name pass without a word."""
    result = judge_hostname(target("wrong.example.com", "certificate"), ca.issue(dns=["es01.example.com"]).cert)
    assert result.status is Status.WARN and result.applicable
    [finding] = result.findings
    assert (finding.code, finding.severity) == ("hostname-not-verified", Severity.WARN)
    assert finding.setting == "output.elasticsearch.ssl.verification_mode"
    assert '"x509: certificate is valid for es01.example.com, not wrong.example.com"' in finding.message
    assert "output.elasticsearch.hosts.0" in finding.hint and "e.g. es01.example.com" in finding.hint
    assert result.details == {"name": "wrong.example.com", "mode": "certificate", "matched": False,
                              "matched_by": None}


def test_plain_http_target_is_skipped(ca):
    result = judge_hostname(target("es", tls=False), ca.issue(dns=["es"]).cert)
    assert result.status is Status.SKIPPED and not result.applicable


def test_no_leaf_is_skipped():
    result = judge_hostname(target("es01.example.com"), None)
    assert result.status is Status.SKIPPED and set(result.details) == DETAIL_KEYS
