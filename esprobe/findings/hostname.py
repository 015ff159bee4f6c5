"""Catalogue entries for the hostname part (see esprobe/findings/__init__.py)."""

from __future__ import annotations

from typing import Tuple

from esprobe.findings.spec import FAIL, WARN, Spec

_LAST_RESORT = (
    " `{prefix}.verification_mode: certificate` keeps the chain check but accepts any name: use it only as a"
    " last resort. `none` is never the fix."
)

SPECS: Tuple[Spec, ...] = (
    Spec(
        code="hostname-mismatch",
        severity=FAIL,
        title="Certificate does not name the host",
        meaning=(
            "The host the Beat connects to is not among the DNS names of the server's certificate "
            "(subjectAltName). Go matches names case-insensitively, ignores one trailing dot on the host, "
            "and honours '*' only as the whole left-most label."
        ),
        hint=(
            "Put a name the certificate is issued for in `{hosts_setting}` ({usable}) and make it resolve to "
            "this server (a DNS record or an /etc/hosts entry), or reissue the server certificate with a "
            "subjectAltName for {host}." + _LAST_RESORT
        ),
        setting="{hosts_setting}",
        beat_says="x509: certificate is valid for <names>, not <host>",
    ),
    Spec(
        code="hostname-not-verified",
        severity=WARN,
        title="Certificate for another name, let through by verification_mode certificate",
        meaning=(
            "verification_mode is certificate: the Beat verifies the chain but not the name, so it accepts a "
            "certificate that does not name the host it connects to. In full mode (the default) the Beat "
            "would refuse it. Anyone holding a certificate from the same CA, for any name, can stand in for "
            "this server."
        ),
        hint=(
            "Put a name the certificate is issued for in `{hosts_setting}` ({usable}) and make it resolve to "
            "this server, or reissue the server certificate with a subjectAltName for {host}; then set "
            "`{prefix}.verification_mode` back to full (the default)."
        ),
        setting="{prefix}.verification_mode",
        beat_says=None,
    ),
    Spec(
        code="hostname-ip-not-in-san",
        severity=FAIL,
        title="IP address not in the certificate's IP SANs",
        meaning=(
            "The Beat connects to an IP address. An IP host is only matched against the certificate's IP "
            "SANs (full mode also accepts a subject CN equal to that IP); DNS names, even one spelled like "
            "the IP, never match."
        ),
        hint=(
            "Connect by a DNS name the certificate lists ({usable}): add a DNS record or an /etc/hosts entry "
            "for it and put that name in `{hosts_setting}`. Or reissue the certificate with an IP SAN for "
            "{host} (elasticsearch-certutil: --ip {host})." + _LAST_RESORT
        ),
        setting="{hosts_setting}",
        beat_says="x509: cannot validate certificate for <ip> because it doesn't contain any IP SANs",
    ),
    Spec(
        code="hostname-no-names",
        severity=FAIL,
        title="Certificate names no host at all",
        meaning=(
            "The certificate has no DNS name the Beat can match: no DNS SAN, and (in full mode) a subject "
            "CN that does not match either."
        ),
        hint=(
            "Reissue the server certificate with a subjectAltName for the name the Beat uses (DNS:{host}), "
            "or point `{hosts_setting}` at the name in its subject CN." + _LAST_RESORT
        ),
        setting="{hosts_setting}",
        beat_says="x509: certificate is not valid for any names, but wanted to match <host>",
    ),
    Spec(
        code="hostname-cn-only",
        severity=WARN,
        title="Host named only in the legacy Common Name",
        meaning=(
            "The certificate names the host only in its subject Common Name. Beats' full mode (the "
            "default) still falls back to the CN when there is no DNS SAN; strict mode, Go, browsers and "
            "most other clients ignore the CN and refuse the certificate. A warning in full mode, a "
            "failure in strict mode."
        ),
        hint=(
            "Reissue the server certificate with a subjectAltName entry for {host} (DNS:{host}). Until then "
            "keep `{prefix}.verification_mode` at full (the default): strict refuses this certificate."
        ),
        setting="{prefix}.verification_mode",
        beat_says="x509: certificate relies on legacy Common Name field, use SANs instead",
    ),
    Spec(
        code="hostname-invalid-pattern",
        severity=FAIL,
        title="Matching certificate name is not a valid host name",
        meaning=(
            "A certificate name matches the host, but it is not a syntactically valid host-name pattern "
            "(letters, digits, '-' not first and '_' in each label; '*' only as the whole left-most label), "
            "so Beats' full mode refuses it."
        ),
        hint=(
            "Reissue the server certificate with a valid DNS name for {host} in its subjectAltName, and use "
            "that name in `{hosts_setting}`." + _LAST_RESORT
        ),
        setting="{hosts_setting}",
        beat_says="invalid hostname in cert",
    ),
    Spec(
        code="hostname-strict-would-fail",
        severity=WARN,
        title="Name passes Beats' full-mode rules only",
        meaning=(
            "The name matches under Beats' own full-mode rules, but Go's stricter check (used by "
            "verification_mode strict and by other Go clients) refuses it, e.g. a bare '*' certificate "
            "name or a wildcard applied to a host name that is not a valid DNS name."
        ),
        hint=(
            "Reissue the server certificate with a subjectAltName that names {host} exactly, or connect by a "
            "plain DNS name the certificate lists ({usable}) in `{hosts_setting}`."
        ),
        setting="{hosts_setting}",
        beat_says=None,
    ),
)
