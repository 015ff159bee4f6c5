#!/usr/bin/env python3
"""
Write the sample PKI (see README.md next to this file) and sample configs that point at it.

    python3 sample_certs/generate.py [DIR]          # default: sample_certs/generated/
    python3 sample_certs/generate.py --committed    # rewrite sample_certs/configs/*.yml

The certificates are made fresh on every run (nothing is committed: committed certificates would
expire). DIR gets the PKI, a hosts file for ``esprobe --hosts-file``, and ``configs/*.yml``: the
sample configs with DIR's absolute path in their ``ssl`` settings. ``--committed`` only re-renders
the committed configs (they expect the files in /etc/metricbeat/certs, the deb/rpm layout).

This is a thin wrapper over ``esprobe.demo.samples``, which ``esprobe demo`` uses too.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

try:
    from esprobe.demo import samples
except ImportError:  # run from a clone without `pip install .`
    sys.path.insert(0, str(HERE.parent))
    from esprobe.demo import samples


def _write_configs(directory: Path, cert_dir: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in samples.render_configs(cert_dir).items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        os.chmod(path, 0o644)  # the Beat refuses group/other-writable configs (strict.perms)
        print(f"  {path}")


def main(argv: "list[str] | None" = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0].strip())
    parser.add_argument("directory", nargs="?", default=str(HERE / "generated"),
                        help="where to write (default: sample_certs/generated)")
    parser.add_argument("--committed", action="store_true",
                        help="only rewrite sample_certs/configs/*.yml (certificates in /etc/metricbeat/certs)")
    args = parser.parse_args(argv)
    if args.committed:
        print("sample configs:")
        _write_configs(HERE / "configs", samples.CERT_DIR)
        return 0
    directory = Path(args.directory).resolve()
    try:
        written = samples.write_sample_pki(samples.build_sample_pki(), directory)
        print(f"sample PKI in {directory}:")
        for path in written:
            print(f"  {path.relative_to(directory)}")
        print("sample configs:")
        _write_configs(directory / "configs", str(directory))
    except OSError as error:
        print(f"generate.py: cannot write to {directory}: {error.strerror or error}", file=sys.stderr)
        return 1
    fingerprint = (directory / "ca" / "intermediate.sha256").read_text().strip()
    print(f"for configs/fingerprint.yml: export ES_CA_FINGERPRINT={fingerprint}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
