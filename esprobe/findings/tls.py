"""Catalogue entries for the tls part (see esprobe/findings/__init__.py)."""

from __future__ import annotations

from typing import Tuple

from esprobe.findings.spec import FAIL, WARN, Spec

# Hint templates may use: {prefix} (e.g. output.elasticsearch.ssl), {server_cert} (where the
# server's certificate is configured), {subject} / {issuer} (of the certificate concerned).
# The certificate-chain entries below come from esprobe/x509/beats_verdict.py.

_NEVER_NONE = " Do not switch `{prefix}.verification_mode` to none to get past this."

SPECS: Tuple[Spec, ...] = (
    Spec(
        code="tls-verification-disabled",
        severity=WARN,
        title="TLS verification disabled",
        meaning=(
            "verification_mode is none: the Beat accepts any certificate for any name, expired or not, so "
            "anyone on the path can read and alter the traffic, credentials included."
        ),
        hint=(
            "Set `{prefix}.verification_mode` back to full (the default) and give the Beat the CA that issued the "
            "server certificate in `{prefix}.certificate_authorities`."
        ),
        setting="{prefix}.verification_mode",
        beat_says="SSL/TLS verifications disabled.",
    ),
    Spec(
        code="tls-no-peer-certificates",
        severity=FAIL,
        title="Server sent no certificate",
        meaning="The server completed the handshake without presenting a certificate.",
        hint="Check the TLS configuration of the server ({server_cert}).",
        beat_says="missing peer certificates",
    ),
    Spec(
        code="tls-cert-unparsable",
        severity=FAIL,
        title="Server certificate unreadable for Go",
        meaning=(
            "Go refuses to parse a certificate the server sends (e.g. a negative serial number, refused since Go "
            "1.23, or an elliptic curve Go does not implement), so every handshake fails in every verification mode."
        ),
        hint="Reissue the certificate ({subject}) with a positive serial number and a P-256/P-384/P-521 or RSA key, "
             "and install it as {server_cert}.",
        beat_says="tls: failed to parse certificate from server: x509: ...",
    ),
    Spec(
        code="tls-key-too-large",
        severity=FAIL,
        title="RSA key larger than 8192 bits",
        meaning="Go refuses server certificates whose RSA key is larger than 8192 bits.",
        hint="Reissue the certificate ({subject}) with a 2048- to 4096-bit RSA or an EC key.",
        beat_says="tls: server sent certificate containing RSA key larger than 8192 bits",
    ),
    Spec(
        code="tls-fingerprint-format",
        severity=FAIL,
        title="ca_trusted_fingerprint is not plain hex",
        meaning=(
            "ssl.ca_trusted_fingerprint is decoded as plain hexadecimal; a colon, space or prefix makes the "
            "decoding fail, and then every TLS handshake of this output fails."
        ),
        hint="Set `{prefix}.ca_trusted_fingerprint` to {meant} (hex digits only, no colons).",
        setting="{prefix}.ca_trusted_fingerprint",
        beat_says="decode 'ca_trusted_fingerprint': encoding/hex: invalid byte: U+003A ':'",
    ),
    Spec(
        code="tls-fingerprint-not-ca",
        severity=WARN,
        title="ca_trusted_fingerprint matches a non-CA certificate",
        meaning=(
            "ca_trusted_fingerprint matches a certificate the server sends, but not a CA certificate (often the "
            "server's own certificate); the Beat ignores such a match."
        ),
        hint=(
            "Use the SHA-256 fingerprint of the CA certificate instead (`openssl x509 -in ca.crt -noout -fingerprint "
            "-sha256`, colons removed) in `{prefix}.ca_trusted_fingerprint`, and make sure the server sends that CA."
        ),
        setting="{prefix}.ca_trusted_fingerprint",
        beat_says=(
            "Certificate matching 'ca_trusted_fingerprint' found, but it is not a CA certificate. "
            "'ca_trusted_fingerprint' can only be used to trust CA certificates."
        ),
    ),
    Spec(
        code="tls-fingerprint-no-match",
        severity=WARN,
        title="ca_trusted_fingerprint matches nothing the server sends",
        meaning=(
            "No CA certificate the server sends has the configured fingerprint. The fingerprint only works on "
            "certificates the server actually sends (a root it leaves out can never match), and it is the SHA-256 "
            "of the whole DER certificate."
        ),
        hint=(
            "Compare `{prefix}.ca_trusted_fingerprint` with the CA fingerprints listed in the message, or configure "
            "the server to send its CA certificate in its chain ({server_cert})."
        ),
        setting="{prefix}.ca_trusted_fingerprint",
        beat_says=(
            "The provided 'ca_trusted_fingerprint': '<fp>' does not match the fingerprint of any Certificate "
            "Authority present in the server's certificate chain. Found the following CA fingerprints instead: [...]"
        ),
    ),
    Spec(
        code="tls-fingerprint-strict",
        severity=WARN,
        title="ca_trusted_fingerprint ignored in strict mode",
        meaning=(
            "With verification_mode strict, Go verifies the chain against the configured CAs (or the OS store) "
            "before the Beat looks at ca_trusted_fingerprint, so the fingerprint cannot make a CA trusted."
        ),
        hint=(
            "Put the CA certificate in `{prefix}.certificate_authorities`, or use verification_mode full with "
            "`{prefix}.ca_trusted_fingerprint`."
        ),
        setting="{prefix}.ca_trusted_fingerprint",
    ),
    Spec(
        code="tls-system-roots-error",
        severity=FAIL,
        title="OS trust store unreadable",
        meaning=(
            "certificate_authorities is not set, so the Beat loads the OS trust store; nothing could be loaded "
            "and a path failed for another reason than not existing (e.g. permission denied)."
        ),
        hint=(
            "Make the CA bundle readable by the Beat's user, or set `{prefix}.certificate_authorities` to the CA "
            "that issued the server certificate."
        ),
        setting="{prefix}.certificate_authorities",
        beat_says="x509: failed to load system roots and no roots provided; open <path>: permission denied",
    ),
    Spec(
        code="tls-os-trust-store-empty",
        severity=FAIL,
        title="OS trust store is empty",
        meaning=(
            "certificate_authorities is not set, so the Beat uses the OS trust store, but no CA certificate was "
            "found where Go looks (SSL_CERT_FILE / SSL_CERT_DIR or the distribution's bundle paths)."
        ),
        hint=(
            "Set `{prefix}.certificate_authorities` to the CA that issued the server certificate, or install the "
            "distribution's CA bundle (ca-certificates)."
        ),
        setting="{prefix}.certificate_authorities",
        beat_says="x509: certificate signed by unknown authority",
    ),
    Spec(
        code="tls-cert-expired",
        severity=FAIL,
        title="Certificate expired",
        meaning=(
            "A certificate of the chain (the server certificate, an intermediate, or the trusted CA itself) is past "
            "its notAfter date. Go checks the dates of every certificate in the chain."
        ),
        hint=(
            "Renew {subject} (the server certificate is {server_cert}; a trusted CA is in "
            "`{prefix}.certificate_authorities` or the OS store). If the dates look right, check the Beat host's "
            "clock (NTP)." + _NEVER_NONE
        ),
        beat_says="x509: certificate has expired or is not yet valid: current time <now> is after <notAfter>",
    ),
    Spec(
        code="tls-cert-not-yet-valid",
        severity=FAIL,
        title="Certificate not yet valid",
        meaning=(
            "A certificate of the chain has a notBefore date in the future: it was issued with a future start "
            "date, or the clock of the Beat host is behind."
        ),
        hint="Check the clock of the Beat host (NTP) and of the CA that issued {subject}; reissue it if its start "
             "date is wrong.",
        beat_says="x509: certificate has expired or is not yet valid: current time <now> is before <notBefore>",
    ),
    Spec(
        code="tls-self-signed",
        severity=FAIL,
        title="Self-signed server certificate not trusted",
        meaning=(
            "The server presents a self-signed certificate that the Beat does not trust. Go reports this as "
            "\"signed by unknown authority\", exactly like a missing CA."
        ),
        hint=(
            "Add that certificate itself to `{prefix}.certificate_authorities` (Go trusts a server certificate "
            "listed there), or better, issue the server certificate from a CA (elasticsearch-certutil ca, then "
            "cert) and trust that CA." + _NEVER_NONE
        ),
        setting="{prefix}.certificate_authorities",
        beat_says="x509: certificate signed by unknown authority",
    ),
    Spec(
        code="tls-missing-intermediate",
        severity=FAIL,
        title="Intermediate CA certificate not sent",
        meaning=(
            "The server sends only its own certificate, and its issuer is neither sent nor trusted; it looks like "
            "an intermediate CA the server should send. Go does not download missing intermediates."
        ),
        hint=(
            "Make the server send its full chain: {server_cert} should hold the server certificate followed by the "
            "intermediate CA certificate(s). Alternatively add the issuer ({issuer}) to "
            "`{prefix}.certificate_authorities`."
        ),
        setting="{prefix}.certificate_authorities",
        beat_says="x509: certificate signed by unknown authority",
    ),
    Spec(
        code="tls-unknown-ca",
        severity=FAIL,
        title="Server certificate not issued by a trusted CA",
        meaning=(
            "No certificate the Beat trusts issued the server's chain: certificate_authorities points to a "
            "different CA, the CA was regenerated, or certificate_authorities is unset and the OS store does not "
            "know a private CA."
        ),
        hint=(
            "Add the certificate of the CA that issued the server's chain ({issuer}) to "
            "`{prefix}.certificate_authorities` (a file path or inline PEM), or set "
            "`{prefix}.ca_trusted_fingerprint` to that CA's SHA-256 fingerprint if the server sends it."
            + _NEVER_NONE
        ),
        setting="{prefix}.certificate_authorities",
        beat_says="x509: certificate signed by unknown authority",
    ),
    Spec(
        code="tls-weak-signature",
        severity=FAIL,
        title="SHA-1 (or MD5) signature in the chain",
        meaning=(
            "A certificate of the chain is signed with SHA-1 or MD5. Go refuses those since Go 1.18 (Beats 8.5 and "
            "7.17.7); only a root's self-signature is exempt. Go reports it as an unknown authority."
        ),
        hint="Reissue {subject} with a SHA-256 signature and install it on the server ({server_cert}).",
        beat_says=(
            'x509: certificate signed by unknown authority (possibly because of "x509: cannot verify signature: '
            'insecure algorithm SHA1-RSA" while trying to verify candidate authority certificate "<CA>")'
        ),
    ),
    Spec(
        code="tls-weak-key",
        severity=FAIL,
        title="RSA key below 1024 bits",
        meaning="Go 1.24 and later refuse every operation with an RSA key shorter than 1024 bits.",
        hint="Reissue {subject} with a 2048-bit (or larger) RSA key or an EC key.",
        beat_says="crypto/rsa: 512-bit keys are insecure (see https://go.dev/pkg/crypto/rsa#hdr-Minimum_key_size)",
    ),
    Spec(
        code="tls-eku-server-auth",
        severity=FAIL,
        title="Chain does not allow server authentication",
        meaning=(
            "A certificate of the chain lists extended key usages without serverAuth (e.g. a client-only "
            "certificate). Go requires serverAuth at every level that lists usages; a certificate with no EKU "
            "extension is fine."
        ),
        hint=(
            "Reissue {subject} with the serverAuth extended key usage (or none at all), and install it on the "
            "server ({server_cert})."
        ),
        beat_says="x509: certificate specifies an incompatible key usage",
    ),
    Spec(
        code="tls-not-a-ca",
        severity=FAIL,
        title="Issuer is not a CA",
        meaning=(
            "The certificate that issued the next one down the chain is not allowed to sign certificates: it lacks "
            "basicConstraints CA:TRUE, or its keyUsage lacks keyCertSign."
        ),
        hint="Reissue the issuing certificate ({subject}) as a CA, or issue the server certificate from a real CA.",
        beat_says="x509: certificate is not authorized to sign other certificates",
    ),
    Spec(
        code="tls-path-length",
        severity=FAIL,
        title="Path length constraint violated",
        meaning="A CA limits how many intermediate CAs may follow it (basicConstraints pathlen), and the chain has "
                "more.",
        hint="Issue the server certificate from a CA that is allowed to issue at this depth ({subject} limits it).",
        beat_says="x509: too many intermediates for path length constraint",
    ),
    Spec(
        code="tls-name-constraints",
        severity=FAIL,
        title="Name constraints violated",
        meaning=(
            "A CA in the chain restricts the names it may sign for, and a SAN of the server certificate breaks "
            "that rule. Go checks every SAN (DNS, IP, e-mail, URI), not only the name the Beat connects to."
        ),
        hint="Reissue the server certificate with names the CA ({subject}) permits, or from a CA without that "
             "restriction.",
        beat_says=(
            "x509: a root or intermediate certificate is not authorized to sign for this name: DNS name \"<name>\" "
            "is not permitted by any constraint"
        ),
    ),
    Spec(
        code="tls-critical-extension",
        severity=FAIL,
        title="Unhandled critical extension",
        meaning="A certificate of the chain carries an extension marked critical that Go does not understand.",
        hint="Reissue {subject} without that critical extension (or mark it non-critical).",
        beat_says="x509: unhandled critical extension",
    ),
    Spec(
        code="tls-pin-mismatch",
        severity=FAIL,
        title="ca_sha256 pin does not match",
        meaning=(
            "ssl.ca_sha256 pins (base64 SHA-256 of a certificate's public key, SPKI) are checked against every "
            "certificate of the verified chain, and none matches."
        ),
        hint=(
            "Update `{prefix}.ca_sha256` to the pin of the CA in use (listed in the message), or remove it; note it "
            "is not the same as ca_trusted_fingerprint (hex of the whole certificate)."
        ),
        setting="{prefix}.ca_sha256",
        beat_says=(
            "provided CA certificate pins doesn't match any of the certificate authorities used to validate the "
            "certificate"
        ),
    ),
    Spec(
        code="tls-chain-invalid",
        severity=FAIL,
        title="Certificate chain refused",
        meaning="Go refuses the server's certificate chain for a less common reason, quoted in the message.",
        hint="Inspect the chain the server sends ({server_cert}) with the details in the message.",
    ),
    Spec(
        code="tls-weak-key-openssl-only",
        severity=WARN,
        title="RSA key accepted by Beats but not by OpenSSL",
        meaning=(
            "A certificate of the chain has an RSA key of 1024 to 2047 bits. Go, and so the Beat, accepts it; "
            "OpenSSL at security level 2 (curl, Python and most current Linux defaults) rejects it."
        ),
        hint="Reissue the certificate with a 2048-bit (or larger) RSA key or an EC key when convenient.",
    ),
    Spec(
        code="tls-leaf-is-ca",
        severity=WARN,
        title="Server certificate is a CA certificate",
        meaning=(
            "The server certificate has basicConstraints CA:TRUE. Go accepts it, but a CA certificate should not "
            "serve as a server certificate, and OpenSSL refuses it when its keyUsage lacks digitalSignature."
        ),
        hint="Issue a separate server certificate (CA:FALSE) from that CA and install it as {server_cert}.",
    ),
)

# --- the handshake and the client certificate (esprobe/stages/tls.py) -------------------------
# Hint templates may also use {ca_files}, {offered}, {server_versions}, {alert}, {cipher}.

_HANDSHAKE: Tuple[Spec, ...] = (
    Spec(
        code="tls-ca-unreadable",
        severity=FAIL,
        title="CA file unreadable",
        meaning=(
            "A file named in certificate_authorities cannot be read. The Beat refuses to set up this output at "
            "all: any CA that fails to load aborts its whole TLS configuration."
        ),
        hint="Fix the path in `{prefix}.certificate_authorities` or the file's permissions for the Beat's user.",
        setting="{prefix}.certificate_authorities",
        beat_says="open <path>: no such file or directory",
    ),
    Spec(
        code="tls-ca-not-certificate",
        severity=FAIL,
        title="CA entry holds no certificate",
        meaning=(
            "An entry of certificate_authorities contains no usable CERTIFICATE block (a key, a CSR, DER instead "
            "of PEM, or PEM headers), so the Beat refuses the whole TLS configuration."
        ),
        hint="Point `{prefix}.certificate_authorities` at the PEM certificate of the CA (the file starts with "
             "-----BEGIN CERTIFICATE-----); convert DER with `openssl x509 -inform der -in ca.der -out ca.crt`.",
        setting="{prefix}.certificate_authorities",
        beat_says="file is not a certificate adding <source> to the list of known CAs",
    ),
    Spec(
        code="tls-client-identity-invalid",
        severity=FAIL,
        title="Client certificate or key cannot be loaded",
        meaning=(
            "The Beat cannot load ssl.certificate with ssl.key (no PEM data, the files swapped, a wrong or missing "
            "passphrase, a key that does not belong to the certificate). It refuses to set up this output."
        ),
        hint="Check `{prefix}.certificate`, `{prefix}.key` and the passphrase (`{prefix}.key_passphrase` or "
             "`{prefix}.key_passphrase_path`): `openssl x509 -noout -modulus` and `openssl rsa -noout -modulus` "
             "must agree for an RSA pair.",
        setting="{prefix}.key",
        beat_says="tls: private key does not match public key",
    ),
    Spec(
        code="tls-client-files-unreadable",
        severity=FAIL,
        title="Client certificate, key or passphrase file unreadable",
        meaning="A file named in ssl.certificate, ssl.key or ssl.key_passphrase_path cannot be read.",
        hint="Fix the path or the permissions of the file for the Beat's user.",
        setting="{prefix}.certificate",
        beat_says="open <path>: no such file or directory",
    ),
    Spec(
        code="tls-kibana-ssl-not-inherited",
        severity=WARN,
        title="setup.kibana does not inherit the output's ssl settings",
        meaning=(
            "The Beat's Kibana client reads only setup.kibana.ssl. Credentials are copied from "
            "output.elasticsearch when setup.kibana has none, but the ssl settings (certificate_authorities, "
            "certificate, key, verification_mode, ca_trusted_fingerprint) are not: with no setup.kibana.ssl the "
            "Kibana connection uses the OS trust store and no client certificate."
        ),
        hint=(
            "Repeat what Kibana needs from `{inherited}` under `setup.kibana.ssl`, e.g. "
            "`setup.kibana.ssl.certificate_authorities`."
        ),
        setting="setup.kibana.ssl",
    ),
    Spec(
        code="tls-cert-expires-soon",
        severity=WARN,
        title="Certificate expires soon",
        meaning="A certificate the connection depends on expires within --warn-days.",
        hint="Renew {subject} before it expires; the Beat stops connecting the moment it does.",
        setting=None,
    ),
    Spec(
        code="tls-cert-expires-critical",
        severity=FAIL,
        title="Certificate expires within days",
        meaning=("A certificate the connection depends on expires within --crit-days. The Beat still connects, so "
                 "this failure does not block: the later stages still run and report their own problems, the run "
                 "exits 2 (Nagios CRITICAL), and Prometheus keeps esprobe_target_up at 1."),
        hint="Renew {subject} now; the Beat stops connecting the moment it expires.",
        setting=None,
        blocks_later=False,
    ),
    Spec(
        code="tls-client-cert-expired",
        severity=FAIL,
        title="Client certificate expired",
        meaning=(
            "The client certificate is expired or not yet valid. The Beat still sends it; Elasticsearch, Logstash "
            "and Go servers refuse it, and the handshake ends with an alert or a bare EOF."
        ),
        hint="Issue a new client certificate and point `{prefix}.certificate` (and `{prefix}.key`) at it.",
        setting="{prefix}.certificate",
        beat_says="remote error: tls: bad certificate",
    ),
    Spec(
        code="tls-client-cert-no-client-auth",
        severity=WARN,
        title="Client certificate not valid for client authentication",
        meaning=(
            "The client certificate lists extended key usages but not clientAuth. Elasticsearch (Java) and Go "
            "servers refuse such a certificate for client authentication."
        ),
        hint="Reissue the client certificate with extendedKeyUsage = clientAuth and update `{prefix}.certificate`.",
        setting="{prefix}.certificate",
        beat_says="remote error: tls: bad certificate",
    ),
    Spec(
        code="tls-client-cert-not-sent",
        severity=FAIL,
        title="The Beat would not send its client certificate",
        meaning=(
            "The server lists the CAs it accepts for client certificates, and none of them issued the configured "
            "certificate. A Go client such as the Beat then silently sends no certificate at all, so the server "
            "sees an anonymous client (and PKI authentication cannot happen)."
        ),
        hint="Use a client certificate issued by one of the CAs the server accepts, or add its issuing CA to the "
             "server's trusted client CAs (Elasticsearch: `xpack.security.http.ssl.certificate_authorities`).",
        setting="{prefix}.certificate",
        beat_says="remote error: tls: certificate required",
    ),
    Spec(
        code="tls-client-cert-required",
        severity=FAIL,
        title="Server requires a client certificate",
        meaning="The server demands a client certificate and the Beat has none configured, so the handshake fails.",
        hint="Configure `{prefix}.certificate` and `{prefix}.key` with a certificate the server trusts, or relax the "
             "server's client authentication (Elasticsearch: `xpack.security.http.ssl.client_authentication: "
             "optional`).",
        setting="{prefix}.certificate",
        beat_says="remote error: tls: certificate required",
    ),
    Spec(
        code="tls-client-cert-rejected",
        severity=FAIL,
        title="Server refused the client certificate",
        meaning=(
            "The server asked for a client certificate, received the configured one and refused it (untrusted "
            "issuer, expired, missing the clientAuth usage ...). With TLS 1.3 the refusal arrives only after the "
            "handshake seemed to succeed."
        ),
        hint="Check that the server trusts the CA that issued `{prefix}.certificate` (Elasticsearch: "
             "`xpack.security.http.ssl.certificate_authorities`), and that the certificate is valid for clientAuth.",
        setting="{prefix}.certificate",
        beat_says="remote error: tls: bad certificate",
    ),
    Spec(
        code="tls-handshake-timeout",
        severity=FAIL,
        title="No TLS handshake",
        meaning=(
            "The server accepted the TCP connection but did not complete a TLS handshake in time. Often the port "
            "speaks plain HTTP and waits for a request line, or a firewall or proxy swallows the traffic."
        ),
        hint="Check whether {url} speaks TLS at all (`curl -v {url}`); if the server has TLS off, use an http:// URL "
             "there, or enable TLS on the server.",
        beat_says="net/http: TLS handshake timeout",
    ),
    Spec(
        code="tls-plaintext-peer",
        severity=FAIL,
        title="Server answered in plain text",
        meaning="The server answered the TLS ClientHello in plain text (usually an HTTP error page): that port does "
                "not speak TLS.",
        hint="Either use http:// for this host in `{hosts_setting}` (the server has TLS off), or enable TLS on the "
             "server (Elasticsearch: `xpack.security.http.ssl.enabled: true`).",
        setting="{hosts_setting}",
        beat_says="tls: first record does not look like a TLS handshake",
    ),
    Spec(
        code="tls-handshake-closed",
        severity=FAIL,
        title="Server closed the connection during the handshake",
        meaning=(
            "The server closed or reset the connection in the middle of the handshake without a TLS alert. "
            "Typical causes: the server insists on a client certificate, a proxy or load balancer in front of it "
            "refuses the SNI name, or the server's TLS setup is broken."
        ),
        hint="Look at the server's log for the time of this probe; check that {url} reaches the intended service.",
        beat_says="EOF",
    ),
    Spec(
        code="tls-protocol-mismatch",
        severity=FAIL,
        title="No TLS version in common",
        meaning="The server and the Beat's supported_protocols share no TLS version.",
        hint="Allow the server's versions ({server_versions}) in `{prefix}.supported_protocols` (the Beat offers "
             "{offered}), or enable a version the Beat offers on the server.",
        setting="{prefix}.supported_protocols",
        beat_says="remote error: tls: protocol version not supported",
    ),
    Spec(
        code="tls-no-shared-cipher",
        severity=FAIL,
        title="No cipher suite in common",
        meaning="The server accepts none of the cipher suites the Beat offers for TLS 1.2 and older (TLS 1.3 suites "
                "cannot be configured in Go).",
        hint="Add a suite the server accepts (it agreed to {cipher} when offered Go's defaults) to "
             "`{prefix}.cipher_suites`, or leave that setting empty to use Go's defaults.",
        setting="{prefix}.cipher_suites",
        beat_says="remote error: tls: handshake failure",
    ),
    Spec(
        code="tls-sni-rejected",
        severity=FAIL,
        title="Server does not know the name",
        meaning="The server refused the handshake for the server name (SNI) the Beat sent: it serves no certificate "
                "for that name.",
        hint="Use in `{hosts_setting}` a name the server (or the load balancer in front of it) is configured for.",
        setting="{hosts_setting}",
        beat_says="remote error: tls: unrecognized name",
    ),
    Spec(
        code="tls-handshake-failure",
        severity=FAIL,
        title="TLS handshake failed",
        meaning="The handshake failed for a reason the message quotes (the alert the server sent, or OpenSSL's words).",
        hint="Compare the server's TLS settings with `{prefix}.supported_protocols`, `{prefix}.cipher_suites` and "
             "`{prefix}.curve_types`; the server's log names its side of the failure.",
        setting="{prefix}",
        beat_says="remote error: tls: handshake failure",
    ),
    Spec(
        code="tls-settings-rejected",
        severity=FAIL,
        title="TLS settings unusable",
        meaning="The TLS library refused the configured settings before any handshake (a curve or key it cannot use).",
        hint="Check `{prefix}.curve_types` and the client key type.",
        setting="{prefix}",
    ),
    Spec(
        code="tls-old-protocol",
        severity=WARN,
        title="Old TLS version negotiated",
        meaning=(
            "The server settled for a TLS version older than 1.2. Beats 8.x accept TLS 1.1 by default; Beats 9.x "
            "(and FIPS builds) refuse anything older than TLS 1.2, so an upgrade of the Beat will break this "
            "connection."
        ),
        hint="Enable TLS 1.2 or 1.3 on the server.",
        setting="{prefix}.supported_protocols",
    ),
)

SPECS = SPECS + _HANDSHAKE
