"""Go's Linux system-root search, on a temporary directory layout."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from esprobe.demo.standins import pki
from esprobe.x509 import system_roots


@pytest.fixture(autouse=True)
def _fresh_cache():
    system_roots.clear_cache()
    yield
    system_roots.clear_cache()


@pytest.fixture(scope="module")
def cas():
    return [pki.CertAuthority.root(f"Store CA {i}") for i in range(4)]


def load(files, dirs, environ=None):
    return system_roots.load_system_roots(environ or {}, candidate_files=[str(f) for f in files],
                                        candidate_dirs=[str(d) for d in dirs])


def subjects(roots):
    return [c.subject.rfc4514_string().split(",")[0] for c in roots.certs]


def test_first_readable_bundle_wins_even_when_empty(tmp_path, cas):
    empty = tmp_path / "empty.crt"
    empty.write_bytes(b"")
    full = tmp_path / "full.crt"
    full.write_bytes(pki.pem(cas[0].cert))
    roots = load([tmp_path / "missing.crt", empty, full], [])
    assert roots.file_used == str(empty) and roots.certs == () and roots.empty
    assert roots.errors == () and roots.go_error is None


def test_first_existing_bundle_is_read(tmp_path, cas):
    full = tmp_path / "full.crt"
    full.write_bytes(pki.pem(cas[0].cert, cas[1].cert))
    roots = load([tmp_path / "missing.crt", full], [])
    assert roots.file_used == str(full) and subjects(roots) == ["CN=Store CA 0", "CN=Store CA 1"]
    assert roots.path == str(full)


def test_all_directories_are_read_as_well_as_the_file(tmp_path, cas):
    bundle = tmp_path / "bundle.crt"
    bundle.write_bytes(pki.pem(cas[0].cert))
    d1, d2 = tmp_path / "d1", tmp_path / "d2"
    d1.mkdir()
    d2.mkdir()
    (d1 / "b.pem").write_bytes(pki.pem(cas[1].cert))
    (d1 / "a.pem").write_bytes(pki.pem(cas[2].cert))
    (d1 / "notes.txt").write_text("not a certificate")
    (d1 / "subdir").mkdir()
    (d2 / "x.crt").write_bytes(pki.pem(cas[3].cert, cas[0].cert))  # duplicate of the bundle's CA
    roots = load([bundle], [d1, tmp_path / "missing", d2])
    assert subjects(roots) == ["CN=Store CA 0", "CN=Store CA 2", "CN=Store CA 1", "CN=Store CA 3"]
    assert roots.dirs_read == (str(d1), str(d2))


def test_same_directory_symlinks_are_skipped_but_other_links_followed(tmp_path, cas):
    d = tmp_path / "certs"
    d.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (d / "ca.pem").write_bytes(pki.pem(cas[0].cert))
    (elsewhere / "other.pem").write_bytes(pki.pem(cas[1].cert))
    os.symlink("ca.pem", d / "0123abcd.0")  # OpenSSL hash link: same directory, skipped
    os.symlink(str(elsewhere / "other.pem"), d / "linked.pem")  # target with a slash: read
    assert system_roots._readdir_unique(str(d)) == ["ca.pem", "linked.pem"]
    assert subjects(load([], [d])) == ["CN=Store CA 0", "CN=Store CA 1"]


def test_ssl_cert_file_replaces_the_file_list(tmp_path, cas):
    default, chosen = tmp_path / "default.crt", tmp_path / "chosen.crt"
    default.write_bytes(pki.pem(cas[0].cert))
    chosen.write_bytes(pki.pem(cas[1].cert))
    roots = load([default], [], {"SSL_CERT_FILE": str(chosen)})
    assert roots.file_used == str(chosen) and subjects(roots) == ["CN=Store CA 1"]
    assert roots.files_tried == (str(chosen),)


def test_ssl_cert_dir_replaces_the_dir_list_and_splits_on_colons(tmp_path, cas):
    default, a, b = tmp_path / "default", tmp_path / "a", tmp_path / "b"
    for d, ca in ((default, cas[0]), (a, cas[1]), (b, cas[2])):
        d.mkdir()
        (d / "ca.pem").write_bytes(pki.pem(ca.cert))
    roots = load([], [default], {"SSL_CERT_DIR": f"{a}::{b}"})
    assert subjects(roots) == ["CN=Store CA 1", "CN=Store CA 2"]
    assert roots.dirs_tried == (str(a), "", str(b)) and roots.errors == ()


def test_empty_environment_values_do_not_replace_the_lists(tmp_path, cas):
    bundle = tmp_path / "bundle.crt"
    bundle.write_bytes(pki.pem(cas[0].cert))
    roots = load([bundle], [], {"SSL_CERT_FILE": "", "SSL_CERT_DIR": ""})
    assert roots.file_used == str(bundle)


def test_nothing_found_is_empty_without_error(tmp_path):
    roots = load([tmp_path / "nope.crt"], [tmp_path / "nodir"])
    assert roots.empty and roots.go_error is None and roots.file_used is None and roots.path is None


def test_unreadable_candidate_with_nothing_loaded_is_gos_error(tmp_path):
    a_directory = tmp_path / "bundle.crt"
    a_directory.mkdir()
    roots = load([a_directory], [])
    assert roots.errors == ((str(a_directory), f"read {a_directory}: is a directory"),)
    assert (
        roots.go_error == f"x509: failed to load system roots and no roots provided; read {a_directory}: is a directory"
    )


def test_unreadable_candidate_is_no_error_when_something_loaded(tmp_path, cas):
    a_directory = tmp_path / "bundle.crt"
    a_directory.mkdir()
    d = tmp_path / "certs"
    d.mkdir()
    (d / "ca.pem").write_bytes(pki.pem(cas[0].cert))
    roots = load([a_directory], [d])
    assert roots.errors and roots.go_error is None and len(roots.certs) == 1


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads anything")
def test_permission_denied_directory(tmp_path):
    d = tmp_path / "locked"
    d.mkdir()
    d.chmod(0)
    try:
        roots = load([], [d])
    finally:
        d.chmod(0o755)
    assert roots.go_error == f"x509: failed to load system roots and no roots provided; open {d}: permission denied"


def test_only_plain_certificate_blocks_count(cas):
    plain = pki.pem(cas[0].cert).decode()
    body = plain.split("\n", 1)[1].rsplit("-----END", 1)[0]
    with_headers = f"-----BEGIN CERTIFICATE-----\nProc-Type: 4,ENCRYPTED\n\n{body}-----END CERTIFICATE-----\n"
    trusted = f"-----BEGIN TRUSTED CERTIFICATE-----\n{body}-----END TRUSTED CERTIFICATE-----\n"
    garbage = "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n"
    text = "comment line\n" + with_headers + trusted + garbage + pki.pem(cas[1].cert).decode() + "\r\n"
    found = system_roots.go_append_certs_from_pem(text.encode())
    assert [c.subject for c in found] == [cas[1].cert.subject]
    crlf = pki.pem(cas[2].cert).replace(b"\n", b"\r\n")
    assert len(system_roots.go_append_certs_from_pem(crlf)) == 1


def test_loading_is_cached_per_environment(tmp_path, cas):
    bundle = tmp_path / "bundle.crt"
    bundle.write_bytes(pki.pem(cas[0].cert))
    first = load([bundle], [])
    bundle.write_bytes(pki.pem(cas[0].cert, cas[1].cert))
    assert load([bundle], []) is first
    assert len(load([bundle], [], {"SSL_CERT_DIR": str(tmp_path / "x")}).certs) == 2
    system_roots.clear_cache()
    assert len(load([bundle], []).certs) == 2


def test_go_linux_defaults_are_gos_lists():
    assert system_roots.GO_LINUX_FILES[0] == "/etc/ssl/certs/ca-certificates.crt"
    assert system_roots.GO_LINUX_FILES[-1] == "/etc/ssl/cert.pem" and len(system_roots.GO_LINUX_FILES) == 6
    assert system_roots.GO_LINUX_DIRS == ("/etc/ssl/certs", "/etc/pki/tls/certs")


def test_this_hosts_store_loads_without_raising():
    roots = system_roots.load_system_roots({})
    assert isinstance(roots.certs, tuple)
    assert Path(roots.file_used).exists() if roots.file_used else roots.file_used is None


def test_a_prefetched_store_is_the_one_the_tls_stage_gets(tmp_path, cas):
    """prefetch_system_roots loads in the background; a later (or concurrent) load waits for it, never reads twice."""
    bundle = tmp_path / "bundle.crt"
    bundle.write_bytes(pki.pem(cas[0].cert, cas[1].cert))
    environ = {"SSL_CERT_FILE": str(bundle), "SSL_CERT_DIR": str(tmp_path / "none")}
    system_roots.prefetch_system_roots(environ)
    results = []
    threads = [threading.Thread(target=lambda: results.append(system_roots.load_system_roots(environ)))
               for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    bundle.write_bytes(b"")  # a second read would now find an empty bundle
    roots = system_roots.load_system_roots(environ)
    assert len(results) == 8 and all(r is roots for r in results)
    assert subjects(roots) == ["CN=Store CA 0", "CN=Store CA 1"]


def test_a_load_started_before_clear_cache_does_not_refill_it(tmp_path, cas):
    bundle = tmp_path / "bundle.crt"
    bundle.write_bytes(pki.pem(cas[0].cert))
    environ = {"SSL_CERT_FILE": str(bundle), "SSL_CERT_DIR": str(tmp_path / "none")}
    system_roots.prefetch_system_roots(environ)
    system_roots.clear_cache()
    bundle.write_bytes(pki.pem(cas[0].cert, cas[1].cert))
    # whether or not the prefetch had read the one-CA bundle, what is loaded after the clear is the new one
    assert len(system_roots.load_system_roots(environ).certs) == 2
