"""Catalogue entries for the privileges stage (see esprobe/findings/__init__.py)."""

from __future__ import annotations

from typing import Tuple

from esprobe.findings.spec import FAIL, WARN, Spec

# Hint templates may use: {prefix} (output.elasticsearch, monitoring.elasticsearch, setup.kibana),
# {setting} (where the credentials came from), {privilege}, {space}.

SPECS: Tuple[Spec, ...] = (
    Spec(
        code="privileges-missing-required",
        severity=FAIL,
        title="Publishing privilege missing",
        meaning=(
            "The Beat's identity lacks a privilege the Beat needs in every configuration to publish (cluster "
            "monitor for its connection check, index create_doc for its bulk requests), so Elasticsearch refuses "
            "those requests with 403."
        ),
        hint="Grant `{privilege}` to the role of the identity in `{setting}` (the message shows the role body).",
        setting="{setting}",
        beat_says="403 Forbidden: action [<action>] is unauthorized for user [<user>] ..., this action is granted by "
                  "the <kind> privileges [...]",
    ),
    Spec(
        code="privileges-missing-optional",
        severity=WARN,
        title="Privilege for some configurations missing",
        meaning=(
            "The Beat's identity lacks a privilege the Beat needs only in some configurations (the message says "
            "which): read_ilm for the ILM policy check, read_pipeline for ingest pipelines, auto_configure to "
            "create data streams on first write, view_index_metadata for the 7.x alias check."
        ),
        hint="Grant `{privilege}`, or change the configuration that needs it (the message says which).",
        setting="{setting}",
        beat_says="403 Forbidden: action [<action>] is unauthorized for ...",
    ),
    Spec(
        code="privileges-missing-monitoring",
        severity=FAIL,
        title="Monitoring privilege missing",
        meaning=(
            "The monitoring identity lacks a privilege internal collection needs: cluster monitor, and create_index "
            "and create_doc on .monitoring-beats-*. The built-in beats_system user has them."
        ),
        hint="Use the beats_system user in `{prefix}`, or grant `{privilege}` to the identity's role.",
        setting="{setting}",
        beat_says="403 Forbidden: action [<action>] is unauthorized for ...",
    ),
    Spec(
        code="privileges-check-failed",
        severity=WARN,
        title="Privileges could not be checked",
        meaning="The privilege check (POST /_security/user/_has_privileges) got no usable answer, so esprobe cannot "
                "say whether the privileges are there.",
        hint="Check the server's log for this request; the message quotes what came back.",
        setting="{setting}",
    ),
    Spec(
        code="privileges-kibana-setup-missing",
        severity=WARN,
        title="Kibana privileges for the Beat's setup missing in the space",
        meaning=(
            "Loading the Beat's dashboards (setup.dashboards.enabled: true, or `<beat> setup --dashboards`) imports "
            "dashboards, visualizations, saved searches, Lens panels and data views into the Kibana space. Kibana "
            "keeps its privileges as application privileges in Elasticsearch; esprobe asks Elasticsearch "
            "(_has_privileges, application kibana-.kibana, resource space:<id>) with Kibana's credentials, and "
            "some of the actions the import needs are not granted there."
        ),
        hint=(
            "Give the identity in `{setting}` the built-in role kibana_admin, or Kibana privileges All on Dashboard, "
            "Visualize Library, Discover and Data Views in space '{space}' (Stack Management > Roles)."
        ),
        setting="{setting}",
        beat_says="Error importing Kibana dashboards: ... 403 Forbidden: Unable to bulk_create dashboard,...",
    ),
    Spec(
        code="privileges-kibana-space-missing",
        severity=FAIL,
        title="Kibana space does not exist",
        meaning="setup.kibana.space.id names a space that Kibana does not have; loading dashboards into it fails.",
        hint="Create the space '{space}' in Kibana (Stack Management > Spaces), or correct `setup.kibana.space.id`.",
        setting="setup.kibana.space.id",
    ),
    Spec(
        code="privileges-kibana-space-forbidden",
        severity=FAIL,
        title="No access to the Kibana space",
        meaning="Kibana refused to show the space named by setup.kibana.space.id to the Beat's identity: it has no "
                "privileges in that space.",
        hint="Give the Beat's role Kibana privileges in space '{space}' (Stack Management > Roles > Kibana "
             "privileges).",
        setting="setup.kibana.space.id",
    ),
)
