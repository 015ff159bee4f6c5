"""``python -m esprobe.findings``: print docs/findings.md."""

import sys

from esprobe.findings.docs import render_markdown

sys.stdout.write(render_markdown())
