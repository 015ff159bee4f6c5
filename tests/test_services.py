"""Finding every Beat service of a host (--all) under a temporary root."""

from __future__ import annotations

from pathlib import Path

from esprobe.services import discover_beat_services


def _write(root: Path, path: str, text: str) -> None:
    target = root / path.lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)


def test_beats_are_found_and_other_services_and_templates_passed_over(tmp_path: Path) -> None:
    _write(tmp_path, "/usr/lib/systemd/system/metricbeat.service",
           "[Service]\nExecStart=/usr/share/metricbeat/bin/metricbeat\n")
    _write(tmp_path, "/usr/lib/systemd/system/nginx.service", "[Service]\nExecStart=/usr/sbin/nginx\n")
    _write(tmp_path, "/usr/lib/systemd/system/filebeat@.service",
           "[Service]\nExecStart=/usr/share/filebeat/bin/filebeat -c /etc/filebeat/%i.yml\n")
    wants = tmp_path / "etc/systemd/system/multi-user.target.wants"
    wants.mkdir(parents=True)
    (wants / "filebeat@prod.service").symlink_to("/usr/lib/systemd/system/filebeat@.service")
    (wants / "nginx.service").symlink_to("/usr/lib/systemd/system/nginx.service")
    _write(tmp_path, "/etc/systemd/system/heartbeat-elastic.service", "[Service]\nExecStart=\n")  # a broken Beat unit
    found, problems = discover_beat_services(str(tmp_path))
    assert [(i.name, i.beat) for i in found] == [
        ("filebeat@prod.service", "filebeat"), ("metricbeat.service", "metricbeat")]
    assert [c.value for c in found[0].config_files] == ["/etc/filebeat/prod.yml"]
    assert problems == []  # heartbeat-elastic is not named after a Beat: nothing says it is one
    _write(tmp_path, "/etc/systemd/system/heartbeat.service", "[Service]\nExecStart=\n")
    _, problems = discover_beat_services(str(tmp_path))
    assert len(problems) == 1 and "heartbeat.service has no ExecStart=" in problems[0]
