"""
Which Beat a config belongs to and where its files live (elastic/beats libbeat/cmd/instance/beat.go,
libbeat/paths/paths.go): the
deb/rpm layout when the config is ``/etc/<beat>/<beat>.yml``, else the tar layout with the
config file's directory as home.
"""

from __future__ import annotations

import os
from typing import Iterable, Optional

from esprobe.config.tree import Node, string_node

__all__ = ["KNOWN_BEATS", "beat_name", "path_defaults"]

KNOWN_BEATS = (
    "metricbeat",
    "filebeat",
    "heartbeat",
    "auditbeat",
    "packetbeat",
    "winlogbeat",
    "osquerybeat",
    "apm-server",
)


def beat_name(first_file: Optional[str], top_level_keys: Iterable[str]) -> str:
    """
    The first config file's stem if it names a known Beat, else the Beat whose own
    top-level section appears (``filebeat.inputs`` -> filebeat), else metricbeat.
    """
    if first_file:
        stem = os.path.splitext(os.path.basename(first_file))[0]
        if stem in KNOWN_BEATS:
            return stem
    keys = set(top_level_keys)
    for beat in KNOWN_BEATS:
        if beat in keys:
            return beat
    return "metricbeat"


def is_package_layout(first_file: Optional[str], beat: str) -> bool:
    """``/etc/<beat>/<beat>.yml`` is what the deb/rpm service passes with ``-c``."""
    if not first_file:
        return False
    return os.path.abspath(first_file) == f"/etc/{beat}/{beat}.yml"


def path_defaults(first_file: Optional[str], beat: str, home: Optional[str] = None) -> Node:
    """
    The ``path.*`` defaults merged under the files (settings in the files or ``-E`` win).

    deb/rpm: home ``/usr/share/<beat>``, config ``/etc/<beat>``, data ``/var/lib/<beat>``,
    logs ``/var/log/<beat>`` (the service's command-line flags). tar: everything under the
    config file's directory (the Beat's own default is the binary's directory, which esprobe
    cannot see; the config normally sits next to it). With *home* known (the binary's directory
    of a service or process), the Beat's own rule applies: home, then config/data/logs under it.
    """
    if home is not None:
        values = {"home": home, "config": "${path.home}", "data": "${path.home}/data", "logs": "${path.home}/logs"}
    elif is_package_layout(first_file, beat):
        values = {
            "home": f"/usr/share/{beat}",
            "config": f"/etc/{beat}",
            "data": f"/var/lib/{beat}",
            "logs": f"/var/log/{beat}",
        }
    else:
        home = os.path.dirname(os.path.abspath(first_file)) if first_file else os.getcwd()
        values = {"home": home, "config": "${path.home}", "data": "${path.home}/data", "logs": "${path.home}/logs"}
    path = Node({k: string_node(v, "default") for k, v in values.items()}, "default")
    return Node({"path": path}, "default")
