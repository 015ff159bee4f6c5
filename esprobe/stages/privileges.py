"""
Privileges stage: may the Beat's identity do what the Beat does with this target?

Elasticsearch targets: ``POST /_security/user/_has_privileges`` for the writer role of the Beat's
docs on the Beat's index pattern; monitoring targets: the internal-collection privileges. Which
privileges are asked, and which of them fail the target when missing, follow the server version
(`esprobe.elastic.api.publishing_needs`). Kibana: the space named by ``setup.kibana.space.id`` must exist
and be visible to the Beat's identity. Every finding names the missing privilege, the change that
grants it, and the 403 the Beat would log without it.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, Sequence

from esprobe import findings
from esprobe.context import ProbeContext
from esprobe.elastic import api
from esprobe.model import (
    Finding,
    Role,
    Stage,
    StageResult,
    Status,
    Target,
    TargetReport,
    not_applicable,
    skipped,
    stage_result,
)
from esprobe.net.es_client import Failure, HttpObservation

HAS_PRIVILEGES = "/_security/user/_has_privileges"


def check_privileges(target: Target, ctx: ProbeContext, http: Optional[HttpObservation],
                     auth: Optional[api.AuthObservation]) -> StageResult:
    """Ask the server whether the identity the auth stage found (*auth*) may do what the Beat does."""
    if http is None:
        return skipped(Stage.PRIVILEGES, "skipped: the http stage kept no connection")
    if target.role is Role.KIBANA:
        return _kibana_space(target, http)
    if auth is not None and not auth.security_enabled:
        return not_applicable(Stage.PRIVILEGES, "security is disabled on the server, so every request is allowed")
    identity = auth.identity if auth is not None else None
    if target.role is Role.MONITORING:
        needs = api.monitoring_needs()
    else:
        needs = api.publishing_needs(http.version, ctx.beat, target.index_pattern or f"{ctx.beat}-*")
    checked = [n.label for n in needs]
    url = api.api_url(target, HAS_PRIVILEGES)
    outcome = http.client.post_json(url, api.has_privileges_body(needs))
    params = {"prefix": target.settings.section, "setting": target.settings.credential, "privilege": ""}
    if isinstance(outcome, Failure):
        return _unchecked(checked, f"POST {url}: {outcome.kind}: {outcome.detail}", params)
    if api.security_disabled(outcome):
        return not_applicable(Stage.PRIVILEGES, "security is disabled on the server, so every request is allowed",
                              {"checked": [], "missing": []})
    doc, problem = outcome.json()
    missing = api.missing_privileges(needs, doc) if outcome.status == 200 else None
    if missing is None:
        error = api.parse_es_error(outcome)
        said = error.reason if error else (problem or outcome.snippet())
        return _unchecked(checked, f"POST {url} answered {outcome.status_line}: {said}", params)
    details: Dict[str, Any] = {"checked": checked, "missing": [n.label for n in missing]}
    if http.version is None:
        details["version_unknown"] = True
    if not missing:
        who = f" for {identity.username}" if identity is not None else ""
        return stage_result(Stage.PRIVILEGES, f"all {len(needs)} privileges present{who}", (), details)
    problems = [_missing(target, ctx.beat, http.version, identity, need, needs, params) for need in missing]
    required = [n for n in missing if n.required]
    if required:
        summary = "missing " + ", ".join(n.label for n in required)
        optional = len(missing) - len(required)
        if optional:
            summary += f" (+{optional} needed in some configurations)"
    else:
        summary = "missing (for some configurations) " + ", ".join(n.label for n in missing)
    return stage_result(Stage.PRIVILEGES, summary, problems, details)


def _unchecked(checked: Sequence[str], said: str, params: Dict[str, str]) -> StageResult:
    return stage_result(Stage.PRIVILEGES, "privileges could not be checked", [findings.make(
        "privileges-check-failed", said + ".", **params)], {"checked": list(checked), "missing": []})


# --- one missing privilege --------------------------------------------------------------------


def _missing(target: Target, beat: str, version: Optional[Any], identity: Optional[api.Identity],
             need: api.Need, needs: Sequence[api.Need], params: Dict[str, str]) -> Finding:
    where = f" on {need.index}" if need.index else ""
    subject = _subject(identity, version)
    quote = _beat_403(need, subject)
    if target.role is Role.MONITORING:
        code = "privileges-missing-monitoring"
        why = "internal collection needs it to send the Beat's monitoring data"
    elif need.required:
        code = "privileges-missing-required"
        why = f"the Beat needs it for {need.request} in every configuration"
    else:
        code = "privileges-missing-optional"
        why = f"the Beat needs it {need.when}"
    message = (f"{subject} lacks the {need.kind} privilege {need.name}{where}: {why}. Without it Elasticsearch "
               f"answers 403: {quote}")
    return findings.make(code, message, hint=_grant_hint(target, beat, identity, need, needs),
                         **dict(params, privilege=need.label))


def _subject(identity: Optional[api.Identity], version: Optional[Any]) -> str:
    """The 403's subject, in Elasticsearch's words for the version (7.x says "roles", 8.x "effective roles")."""
    if identity is None:
        return "the Beat's identity"
    if identity.is_api_key:
        return f"API key id [{identity.api_key_id or '?'}] of user [{identity.username}]"
    roles_word = "roles" if version is not None and version[0] < 8 else "effective roles"
    return f"user [{identity.username}] with {roles_word} [{','.join(identity.roles)}]"


def _beat_403(need: api.Need, subject: str) -> str:
    on = f" on indices [<an index matching {need.index}>]" if need.index else ""
    return (f"action [{need.action}] is unauthorized for {subject}{on}, this action is granted by the {need.kind} "
            f"privileges [{','.join(need.granted_by)}]")


def role_body(needs: Sequence[api.Need]) -> Dict[str, Any]:
    """A role (or API-key role descriptor) granting every privilege in *needs*."""
    body: Dict[str, Any] = {"cluster": [n.name for n in needs if n.kind == api.CLUSTER]}
    by_index: Dict[str, List[str]] = {}
    for need in needs:
        if need.kind == api.INDEX and need.index is not None:
            by_index.setdefault(need.index, []).append(need.name)
    body["indices"] = [{"names": [name], "privileges": privileges} for name, privileges in by_index.items()]
    return body


def _grant_hint(target: Target, beat: str, identity: Optional[api.Identity], need: api.Need,
                needs: Sequence[api.Need]) -> str:
    role = "beats_monitoring" if target.role is Role.MONITORING else f"{beat}_writer"
    body = json.dumps(role_body(needs), separators=(",", ":"))
    grant = f"grant {need.kind} privilege `{need.name}`" + (f" on `{need.index}`" if need.index else "")
    put_role = findings.snippet(f"PUT /_security/role/{role}", body)
    if identity is not None and identity.is_api_key:
        key = {"name": f"{beat}-beat", "role_descriptors": {role: role_body(needs)}}
        descriptors = json.dumps(key, separators=(",", ":"))
        return (
            f"An API key holds at most what its owner [{identity.username}] holds: {grant} to the owner, then create "
            "a new key for the Beat:"
            + findings.snippet("POST /_security/api_key", descriptors)
            + "or on 8.4+ update this key's role_descriptors (PUT /_security/api_key/<id>); put the new "
            f"'id:api_key' into `{target.settings.credential}`."
        )
    if identity is not None and identity.is_pki:
        return (f"{grant[0].upper() + grant[1:]} in a role mapped to the certificate's DN (role_mapping.yml or the "
                f"role-mapping API), e.g.{put_role}")
    if target.role is Role.MONITORING:
        return f"Use the built-in beats_system user, or {grant} in one of the user's roles, e.g.{put_role}"
    roles = (
        f"one of the user's roles ({', '.join(identity.roles)})"
        if identity and identity.roles
        else "a role of the user"
    )
    return f"{grant[0].upper() + grant[1:]} in {roles}, e.g.{put_role}and assign it to the user."


# --- Kibana ---------------------------------------------------------------------------------------


def _kibana_space(target: Target, http: HttpObservation) -> StageResult:
    space = target.space_id
    if not space:
        return stage_result(Stage.PRIVILEGES, "no setup.kibana.space.id: the default space", (),
                            {"checked": [], "missing": []})
    label = f"space:{space}"
    url = api.kibana_space_url(target, space)
    outcome = http.client.get(url)
    params = {"prefix": "setup.kibana", "space": space, "setting": "setup.kibana.space.id", "privilege": label}
    details: Dict[str, Any] = {"checked": [label], "missing": []}
    if isinstance(outcome, Failure):
        return stage_result(Stage.PRIVILEGES, "the space could not be checked", [findings.make(
            "privileges-check-failed", f"GET {url}: {outcome.kind}: {outcome.detail}.", **params)], details)
    if outcome.status == 200:
        doc, _ = outcome.json()
        name = doc.get("name") if isinstance(doc, dict) else None
        return stage_result(Stage.PRIVILEGES, f"Kibana space '{space}' exists" + (f" ({name})" if name else ""), (),
                            details)
    message = api.kibana_error_message(outcome) or outcome.snippet()
    details["missing"] = [label]
    if outcome.status == 404:
        return stage_result(
            Stage.PRIVILEGES,
            f"Kibana space '{space}' does not exist",
            [
                findings.make(
                    "privileges-kibana-space-missing", f"GET {url} answered {outcome.status_line}: {message}.", **params
                )
            ],
            details,
        )
    if outcome.status == 403:
        return stage_result(Stage.PRIVILEGES, f"no access to Kibana space '{space}'", [findings.make(
            "privileges-kibana-space-forbidden", f"GET {url} answered {outcome.status_line}: {message}.", **params)],
            details)
    details["missing"] = []
    return stage_result(Stage.PRIVILEGES, "the space could not be checked", [findings.make(
        "privileges-check-failed", f"GET {url} answered {outcome.status_line}: {message}.", **params)], details)


# --- Kibana: what the Beat's `setup` may do in the space (asked of Elasticsearch) -------------------


def _setup_label(space_id: Optional[str], action: str) -> str:
    return f"kibana:{api.kibana_space_resource(space_id)}:{action}"


def check_kibana_setup(es: Target, space_id: Optional[str], http: HttpObservation) -> StageResult:
    """
    ``_has_privileges`` on Elasticsearch (*es*, carrying Kibana's credentials) for the Kibana actions
    `setup` needs in the space: logging in, and creating dashboards, visualizations, saved searches,
    Lens panels and data views.
    """
    resource = api.kibana_space_resource(space_id)
    actions = api.kibana_setup_actions()
    details: Dict[str, Any] = {"checked": [_setup_label(space_id, a) for a in actions], "missing": [],
                               "asked": es.url}
    url = api.api_url(es, HAS_PRIVILEGES)
    params = {"prefix": "setup.kibana", "setting": es.credentials.setting or "setup.kibana.username",
              "privilege": resource, "space": space_id or "default"}
    outcome = http.client.post_json(url, api.kibana_has_privileges_body(space_id))
    if isinstance(outcome, Failure):
        return _unchecked(details["checked"], f"POST {url}: {outcome.kind}: {outcome.detail}", params)
    if api.security_disabled(outcome):
        return not_applicable(Stage.PRIVILEGES, "security is disabled on Elasticsearch, so Kibana allows everything",
                              {"checked": [], "missing": []})
    missing = api.missing_kibana_actions(space_id, outcome.json()[0]) if outcome.status == 200 else None
    if missing is None:
        error = api.parse_es_error(outcome)
        said = error.reason if error else outcome.snippet()
        return _unchecked(details["checked"], f"POST {url} with Kibana's credentials answered {outcome.status_line}: "
                          f"{said}", params)
    details["missing"] = [_setup_label(space_id, a) for a in missing]
    if not missing:
        return stage_result(Stage.PRIVILEGES, f"setup may import dashboards and data views in {resource}", (), details)
    body = json.dumps({"applications": [{"application": api.KIBANA_APPLICATION, "privileges": [
        "feature_dashboard.all", "feature_visualize.all", "feature_discover.all", "feature_indexPatterns.all"],
        "resources": [resource]}]}, separators=(",", ":"))
    finding = findings.make(
        "privileges-kibana-setup-missing",
        f"Elasticsearch ({es.url}) says Kibana's identity in `{params['setting']}` lacks, in {resource}: "
        f"{', '.join(missing)}. Loading the Beat's dashboards (setup.dashboards.enabled, or `setup "
        "--dashboards`) fails with 403 for the saved objects it cannot create.",
        hint=("Give the identity the built-in role kibana_admin, or a role with Kibana privileges All on Dashboard, "
              f"Visualize Library, Discover and Data Views in space '{params['space']}', e.g."
              + findings.snippet("PUT /_security/role/beat_kibana_setup", body)),
        **params)
    return stage_result(Stage.PRIVILEGES, f"setup lacks {len(missing)} Kibana privilege(s) in {resource}", [finding],
                        details)


def with_kibana_setup(result: StageResult, target: Target, asked: Optional[TargetReport]) -> StageResult:
    """The Kibana target's privileges stage with the answer about `setup` folded in (*asked*: the probe of
    the Elasticsearch host with Kibana's credentials, None when there is none to ask)."""
    if asked is None:
        return result
    setup = next((s for s in asked.stages if s.stage is Stage.PRIVILEGES), None)
    details = dict(result.details)
    if setup is None or (setup.status is Status.SKIPPED and setup.applicable):
        passed = (Status.OK, Status.WARN, Status.SKIPPED)
        blocked = next((s for s in asked.stages if s.status not in passed), None)
        why = (
            f"its {blocked.stage.value} stage: {blocked.summary}" if blocked is not None else "it could not be reached"
        )
        via = target.privileges_via.url if target.privileges_via is not None else "Elasticsearch"
        finding = findings.make(
            "privileges-check-failed",
            f"Kibana's privileges for setup are kept in Elasticsearch, and esprobe could not ask {via} with "
            f"Kibana's credentials ({why}); they are not checked.",
            prefix="setup.kibana", setting=target.settings.credential, privilege="")
        return _merged(result, (finding,), details, "Kibana setup privileges not checked")
    if not setup.applicable:
        return result
    details["checked"] = [*details.get("checked", []), *setup.details.get("checked", [])]
    details["missing"] = [*details.get("missing", []), *setup.details.get("missing", [])]
    return _merged(result, setup.findings, details, setup.summary)


def _merged(result: StageResult, extra: Sequence[Finding], details: Dict[str, Any], summary: str) -> StageResult:
    combined = stage_result(Stage.PRIVILEGES, f"{result.summary}; {summary}", (*result.findings, *extra), details,
                            result.observation)
    return combined
