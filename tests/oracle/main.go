// Command oracle answers, for each case, what a Beat's Elasticsearch output would conclude when
// it dials a TLS server: it connects with crypto/tls configured the way elastic-agent-libs'
// tlscommon configures a client (verification_mode, certificate_authorities,
// ca_trusted_fingerprint, ca_sha256, supported_protocols) and reports the handshake's error text.
//
// Written for esprobe's differential test from the rules in the Beats TLS notes; no upstream code.
//
// Input (stdin): a JSON array of cases. Output (stdout): a JSON array of verdicts, same order.
package main

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"time"
)

type oracleCase struct {
	ID                   string   `json:"id"`
	Address              string   `json:"address"`
	Host                 string   `json:"host"`
	Mode                 string   `json:"mode"`
	CAFiles              []string `json:"ca_files"` // each entry's PEM text, as certificate_authorities lists them
	CATrustedFingerprint string   `json:"ca_trusted_fingerprint"`
	CASha256             []string `json:"ca_sha256"`
	MinVersion           string   `json:"min_version"`
	MaxVersion           string   `json:"max_version"`
}

type verdict struct {
	ID    string `json:"id"`
	OK    bool   `json:"ok"`
	Error string `json:"error"`
	// Stage is "config" when the Beat would refuse its TLS settings before dialling.
	Stage string `json:"stage"`
}

var versions = map[string]uint16{
	"TLSv1.0": tls.VersionTLS10, "TLSv1.1": tls.VersionTLS11, "TLSv1.2": tls.VersionTLS12, "TLSv1.3": tls.VersionTLS13,
}

var errPinMismatch = errors.New(
	"provided CA certificate pins doesn't match any of the certificate authorities used to validate the certificate")

// spkiPin is the ca_sha256 form: base64 of SHA-256 over the SubjectPublicKeyInfo.
func spkiPin(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return base64.StdEncoding.EncodeToString(sum[:])
}

func pinned(pins []string, chains [][]*x509.Certificate) error {
	for _, chain := range chains {
		for _, cert := range chain {
			got := spkiPin(cert)
			for _, pin := range pins {
				if pin == got {
					return nil
				}
			}
		}
	}
	return errPinMismatch
}

// trustFingerprint adds the first CA the server sent whose whole-DER SHA-256 equals the
// configured hex fingerprint to the roots (a new pool when none is configured).
func trustFingerprint(fingerprint string, sent []*x509.Certificate, roots **x509.CertPool) error {
	want, err := hex.DecodeString(fingerprint)
	if err != nil {
		return fmt.Errorf("decode 'ca_trusted_fingerprint': %w", err)
	}
	for _, cert := range sent {
		sum := sha256.Sum256(cert.Raw)
		if bytes.Equal(sum[:], want) && cert.IsCA {
			if *roots == nil {
				*roots = x509.NewCertPool()
			}
			(*roots).AddCert(cert)
			return nil
		}
	}
	return nil
}

func lowerASCII(text string) string {
	out := []byte(text)
	for i, c := range out {
		if 'A' <= c && c <= 'Z' {
			out[i] = c + ('a' - 'A')
		}
	}
	return string(out)
}

// nameMatches: one left-most "*" label matches one host label; everything else byte-equal,
// ASCII case-insensitive; one trailing dot of the host ignored.
func nameMatches(pattern, host string) bool {
	pattern = lowerASCII(pattern)
	host = lowerASCII(strings.TrimSuffix(host, "."))
	if pattern == "" || host == "" {
		return false
	}
	patternLabels, hostLabels := strings.Split(pattern, "."), strings.Split(host, ".")
	if len(patternLabels) != len(hostLabels) {
		return false
	}
	for i, label := range patternLabels {
		if i == 0 && label == "*" {
			continue
		}
		if label != hostLabels[i] {
			return false
		}
	}
	return true
}

func plausiblePattern(name string) bool {
	if name == "" {
		return false
	}
	for i, label := range strings.Split(name, ".") {
		if label == "" {
			return false
		}
		if i == 0 && label == "*" {
			continue
		}
		for j, c := range label {
			ok := ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9') || c == '_' ||
				(c == '-' && j != 0)
			if !ok {
				return false
			}
		}
	}
	return true
}

// beatsHostCheck is `full` mode's own host check: IP SANs (then a CN that is the same IP) for an
// IP host; DNS SANs, or the CN when there are none, for a name.
func beatsHostCheck(leaf *x509.Certificate, host string) error {
	if host == "" {
		return nil
	}
	literal := host
	if len(literal) >= 3 && literal[0] == '[' && literal[len(literal)-1] == ']' {
		literal = literal[1 : len(literal)-1]
	}
	if ip := net.ParseIP(literal); ip != nil {
		for _, have := range leaf.IPAddresses {
			if ip.Equal(have) {
				return nil
			}
		}
		if cn := net.ParseIP(leaf.Subject.CommonName); cn != nil && ip.Equal(cn) {
			return nil
		}
		return x509.HostnameError{Certificate: leaf, Host: host}
	}
	names := leaf.DNSNames
	if (len(names) == 0 || (len(names) == 1 && names[0] == "")) && leaf.Subject.CommonName != "" {
		names = []string{leaf.Subject.CommonName}
	}
	for _, name := range names {
		if nameMatches(name, host) {
			if !plausiblePattern(name) {
				return errors.New("invalid hostname in cert")
			}
			return nil
		}
	}
	return x509.HostnameError{Certificate: leaf, Host: host}
}

func clientConfig(c oracleCase) (*tls.Config, error) {
	var roots *x509.CertPool
	for i, text := range c.CAFiles {
		if roots == nil {
			roots = x509.NewCertPool()
		}
		if !roots.AppendCertsFromPEM([]byte(text)) {
			return nil, fmt.Errorf("file is not a certificate adding ca_files[%d] to the list of known CAs", i)
		}
	}
	config := &tls.Config{
		MinVersion: versions[c.MinVersion],
		MaxVersion: versions[c.MaxVersion],
		ServerName: c.Host,
		RootCAs:    roots,
		// Beats checks everything itself except in strict mode.
		InsecureSkipVerify: c.Mode != "strict", //nolint:gosec
	}
	checkChain := func(state tls.ConnectionState, checkHost bool) error {
		if c.CATrustedFingerprint != "" {
			if err := trustFingerprint(c.CATrustedFingerprint, state.PeerCertificates, &roots); err != nil {
				return err
			}
		}
		if len(state.PeerCertificates) == 0 {
			return errors.New("missing peer certificates")
		}
		options := x509.VerifyOptions{Roots: roots, Intermediates: x509.NewCertPool()}
		for _, cert := range state.PeerCertificates[1:] {
			options.Intermediates.AddCert(cert)
		}
		chains, err := state.PeerCertificates[0].Verify(options)
		if err != nil {
			return err
		}
		if len(c.CASha256) > 0 {
			if err := pinned(c.CASha256, chains); err != nil {
				return err
			}
		}
		if checkHost {
			return beatsHostCheck(state.PeerCertificates[0], c.Host)
		}
		return nil
	}
	switch c.Mode {
	case "full", "":
		config.VerifyConnection = func(state tls.ConnectionState) error { return checkChain(state, true) }
	case "certificate":
		config.VerifyConnection = func(state tls.ConnectionState) error { return checkChain(state, false) }
	case "strict":
		if len(c.CASha256) > 0 {
			config.VerifyConnection = func(state tls.ConnectionState) error {
				if c.CATrustedFingerprint != "" {
					if err := trustFingerprint(c.CATrustedFingerprint, state.PeerCertificates, &roots); err != nil {
						return err
					}
				}
				return pinned(c.CASha256, state.VerifiedChains)
			}
		}
	case "none":
	default:
		return nil, fmt.Errorf("unknown verification mode '%s'", c.Mode)
	}
	return config, nil
}

func judge(c oracleCase) verdict {
	config, err := clientConfig(c)
	if err != nil {
		return verdict{ID: c.ID, OK: false, Error: err.Error(), Stage: "config"}
	}
	dialer := &net.Dialer{Timeout: 10 * time.Second}
	conn, err := tls.DialWithDialer(dialer, "tcp", c.Address, config)
	if err != nil {
		return verdict{ID: c.ID, OK: false, Error: err.Error(), Stage: "handshake"}
	}
	conn.Close()
	return verdict{ID: c.ID, OK: true, Stage: "handshake"}
}

func main() {
	var cases []oracleCase
	if err := json.NewDecoder(os.Stdin).Decode(&cases); err != nil {
		fmt.Fprintln(os.Stderr, "oracle: cannot read the cases:", err)
		os.Exit(2)
	}
	out := make([]verdict, len(cases))
	var wg sync.WaitGroup
	slots := make(chan struct{}, 16)
	for i := range cases {
		wg.Add(1)
		slots <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-slots }()
			out[i] = judge(cases[i])
		}(i)
	}
	wg.Wait()
	encoder := json.NewEncoder(os.Stdout)
	encoder.SetIndent("", " ")
	if err := encoder.Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, "oracle: cannot write the verdicts:", err)
		os.Exit(2)
	}
}
