"""
Does a certificate name a host, by the Beat's rules? Pure rules, no wording (the hostname stage,
`esprobe.stages.hostname`, judges and words the outcome).

Two rule sets, because Beats has two:

- ``full`` (the default) is Beats' own ``verifyHostname`` (elastic-agent-libs
  ``transport/tlscommon/tls_config.go``): an IP host must equal an IP SAN or, since libs
  v0.3.12, a Subject CN that parses as the same IP; a DNS host is matched against the DNS
  SANs, or against the CN when there are no DNS SANs. A matched name that is not a valid
  host-name pattern fails with ``invalid hostname in cert``.
- ``strict`` is Go's ``Certificate.VerifyHostname`` (Go 1.24): SANs only, the CN is ignored.

Both use Go's ``matchHostnames``: ASCII case-insensitive, one trailing dot ignored on the
host (never on the pattern), equal label counts, and ``*`` only as the whole left-most label.
Error texts are Go's ``HostnameError.Error()``. Pure: a certificate and a name in, a verdict out.
"""

from __future__ import annotations

from typing import List, Optional, Tuple

from cryptography import x509

from esprobe.ip_text import go_ip_string
from esprobe.record import record
from esprobe.x509.go_verify import GoCertificate, go_ip_equal, go_parse_ip, go_view

# Go 1.24.11+ (the CVE-2025-61729 fix) stops listing names past this many.
_MAX_NAMES_LISTED = 100
STRICT_PREFIX = "tls: failed to verify certificate: "

# Reasons, as data for the stage and for tests.
OK = "ok"
MISMATCH = "mismatch"  # "certificate is valid for a, b, not h"
NO_NAMES = "no-names"  # "certificate is not valid for any names, but wanted to match h"
IP_NOT_IN_SAN = "ip-not-in-san"  # "cannot validate certificate for <ip> because it doesn't contain any IP SANs"
IP_MISMATCH = "ip-mismatch"  # "certificate is valid for <ips>, not <ip>"
LEGACY_CN = "legacy-cn"  # "certificate relies on legacy Common Name field, use SANs instead"
TOO_MANY_NAMES = "too-many-names"  # "certificate is valid for N names, but none matched h"
INVALID_PATTERN = "invalid-pattern"  # "invalid hostname in cert" (full only)
NOT_CHECKED = "not-checked"  # empty host: Beats skips the check


@record
class NameMatch:
    """
    The outcome of one host-name check.

    Attributes:
        host: the name checked (as the Beat dials it).
        rules: ``full`` (Beats' verifyHostname) or ``strict`` (Go's VerifyHostname).
        matched: True when the Beat would accept the name.
        matched_by: ``dns-san`` | ``ip-san`` | ``common-name``; None when not matched.
        matched_name: the certificate entry that matched, or None.
        reason: one of the reason constants of this module.
        error: the error text without any prefix (``x509: ...`` or ``invalid hostname in
            cert``); None when matched.
    """

    host: str
    rules: str
    matched: bool
    matched_by: Optional[str]
    matched_name: Optional[str]
    reason: str
    error: Optional[str]

    @property
    def beat_error(self) -> Optional[str]:
        """What the Beat logs: ``strict`` errors carry Go's ``tls: failed to verify certificate:`` prefix."""
        if self.error is None:
            return None
        return STRICT_PREFIX + self.error if self.rules == "strict" else self.error


# --- Go's matching primitives ----------------------------------------------------------------


def to_lower_ascii(text: str) -> str:
    """Go's ``toLowerCaseASCII``: only A-Z change, so no Unicode case folding surprises."""
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in text)


def match_hostnames(pattern: str, host: str) -> bool:
    """Go's (and Beats' copied) ``matchHostnames``."""
    pattern = to_lower_ascii(pattern)
    host = to_lower_ascii(host[:-1] if host.endswith(".") else host)
    if not pattern or not host:
        return False
    pattern_labels = pattern.split(".")
    host_labels = host.split(".")
    if len(pattern_labels) != len(host_labels):
        return False
    for index, label in enumerate(pattern_labels):
        if index == 0 and label == "*":
            continue
        if label != host_labels[index]:
            return False
    return True


def _label_chars_ok(label: str) -> bool:
    for index, char in enumerate(label):
        if "a" <= char <= "z" or "A" <= char <= "Z" or "0" <= char <= "9" or char == "_":
            continue
        if char == "-" and index != 0:
            continue
        return False
    return True


def valid_hostname(host: str, is_pattern: bool, *, allow_bare_wildcard: bool = False) -> bool:
    """
    Go's ``validHostname``. Beats' copy (elastic-agent-libs ``validhostname.go``) predates Go's
    refusal of a bare ``*`` pattern: pass ``allow_bare_wildcard=True`` for Beats' ``full`` rules.
    """
    if not is_pattern and host.endswith("."):
        host = host[:-1]
    if not host:
        return False
    if host == "*" and not allow_bare_wildcard:
        return False
    for index, label in enumerate(host.split(".")):
        if not label:
            return False
        if is_pattern and index == 0 and label == "*":
            continue
        if not _label_chars_ok(label):
            return False
    return True


def _match_exactly(a: str, b: str) -> bool:
    if a in ("", ".") or b in ("", "."):
        return False
    return to_lower_ascii(a) == to_lower_ascii(b)


def strip_brackets(host: str) -> str:
    if len(host) >= 3 and host[0] == "[" and host[-1] == "]":
        return host[1:-1]
    return host


def hostname_error(view: GoCertificate, host: str) -> Tuple[str, str]:
    """Go's ``HostnameError{cert, host}.Error()`` (Go 1.24.11+) and the matching reason."""
    if not view.has_san and match_hostnames(view.common_name, host):
        return LEGACY_CN, "x509: certificate relies on legacy Common Name field, use SANs instead"
    if go_parse_ip(host) is not None:
        if not view.ip_addresses:
            return IP_NOT_IN_SAN, f"x509: cannot validate certificate for {host} because it doesn't contain any IP SANs"
        if len(view.ip_addresses) >= _MAX_NAMES_LISTED:
            return TOO_MANY_NAMES, (f"x509: certificate is valid for {len(view.ip_addresses)} IP SANs, "
                                    f"but none matched {host}")
        valid = ", ".join(go_ip_string(a) for a in view.ip_addresses)
        return IP_MISMATCH, f"x509: certificate is valid for {valid}, not {host}"
    if len(view.dns_names) >= _MAX_NAMES_LISTED:
        return TOO_MANY_NAMES, f"x509: certificate is valid for {len(view.dns_names)} names, but none matched {host}"
    valid = ", ".join(view.dns_names)
    if not valid:
        return NO_NAMES, f"x509: certificate is not valid for any names, but wanted to match {host}"
    return MISMATCH, f"x509: certificate is valid for {valid}, not {host}"


def _failure(view: GoCertificate, host: str, rules: str) -> NameMatch:
    reason, text = hostname_error(view, host)
    return NameMatch(host, rules, False, None, None, reason, text)


def match_full(cert: x509.Certificate, host: str) -> NameMatch:
    """Beats' ``verifyHostname`` (``verification_mode: full``), current elastic-agent-libs."""
    view = go_view(cert)
    if not host:
        return NameMatch(host, "full", True, None, None, NOT_CHECKED, None)
    address = go_parse_ip(strip_brackets(host))
    if address is not None:
        for candidate in view.ip_addresses:
            if go_ip_equal(address, candidate):
                return NameMatch(host, "full", True, "ip-san", go_ip_string(candidate), OK, None)
        cn_address = go_parse_ip(view.common_name)
        if cn_address is not None and go_ip_equal(address, cn_address):
            return NameMatch(host, "full", True, "common-name", view.common_name, OK, None)
        return _failure(view, host, "full")

    names: List[str] = list(view.dns_names)
    matched_by = "dns-san"
    if (not names or names == [""]) and view.common_name:
        names, matched_by = [view.common_name], "common-name"
    for name in names:
        if match_hostnames(name, host):
            if not valid_hostname(name, True, allow_bare_wildcard=True):
                return NameMatch(host, "full", False, None, name, INVALID_PATTERN, "invalid hostname in cert")
            return NameMatch(host, "full", True, matched_by, name, OK, None)
    return _failure(view, host, "full")


def match_strict(cert: x509.Certificate, host: str) -> NameMatch:
    """Go's ``Certificate.VerifyHostname`` (``verification_mode: strict``): SANs only."""
    view = go_view(cert)
    candidate_ip = strip_brackets(host)
    address = go_parse_ip(candidate_ip)
    if address is not None:
        for candidate in view.ip_addresses:
            if go_ip_equal(address, candidate):
                return NameMatch(host, "strict", True, "ip-san", go_ip_string(candidate), OK, None)
        return _failure(view, candidate_ip, "strict")
    lowered = to_lower_ascii(host)
    valid_input = valid_hostname(lowered, False)
    for name in view.dns_names:
        # Go applies wildcard and trailing-dot rules only when both sides are valid host
        # names; anything else must match exactly (case-insensitively).
        if valid_input and valid_hostname(name, True):
            if match_hostnames(name, lowered):
                return NameMatch(host, "strict", True, "dns-san", name, OK, None)
        elif _match_exactly(name, lowered):
            return NameMatch(host, "strict", True, "dns-san", name, OK, None)
    return _failure(view, host, "strict")


def certificate_names(cert: x509.Certificate) -> Tuple[List[str], List[str], str]:
    """(DNS SANs, IP SANs as Go prints them, subject CN) — what a hint lists."""
    view = go_view(cert)
    return list(view.dns_names), [go_ip_string(a) for a in view.ip_addresses], view.common_name
