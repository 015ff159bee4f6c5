"""Catalogue entries for the auth stage (see esprobe/findings/__init__.py)."""

from __future__ import annotations

from typing import Tuple

from esprobe.findings.spec import FAIL, WARN, Spec

# Hint templates may use: {prefix} (output.elasticsearch, setup.kibana, monitoring.elasticsearch),
# {setting} (the setting the credentials came from).

_API_KEY_NEW = (
    "Create a new API key for the Beat (POST /_security/api_key, or Kibana > Stack Management > API keys) and "
    "put its `id` and `api_key` joined by ':' into `{prefix}.api_key`."
)

SPECS: Tuple[Spec, ...] = (
    Spec(
        code="auth-no-credentials",
        severity=FAIL,
        title="No credentials configured",
        meaning="Security is on and the Beat sends no credentials (no user name/password, no API key, no client "
                "certificate the server accepts).",
        hint="Set `{prefix}.username` and `{prefix}.password`, or `{prefix}.api_key`.",
        setting="{prefix}.username",
        beat_says="401 Unauthorized: missing authentication credentials for REST request [/]",
    ),
    Spec(
        code="auth-wrong-password",
        severity=FAIL,
        title="User name or password rejected",
        meaning="Elasticsearch did not accept the user name and password: the user does not exist, is disabled, or the "
                "password is wrong.",
        hint="Check the user name and password in `{setting}` (reset it with elasticsearch-reset-password or PUT "
             "/_security/user/<name>/_password).",
        setting="{setting}",
        beat_says="401 Unauthorized: unable to authenticate user [<user>] for REST request [/]",
    ),
    Spec(
        code="auth-api-key-encoded",
        severity=FAIL,
        title="API key given in its encoded form",
        meaning=(
            "The api_key has no ':' and base64-decodes to 'id:key': it is the `encoded` value of the create-API-key "
            "answer. The Beat base64-encodes api_key itself, so the key arrives encoded twice and is rejected."
        ),
        hint="Put the base64-decoded value (`id:api_key`) into `{prefix}.api_key` instead of the encoded one.",
        setting="{prefix}.api_key",
        beat_says="401 Unauthorized: unable to authenticate with provided credentials and anonymous access is not "
                  "allowed for this request",
    ),
    Spec(
        code="auth-api-key-no-colon",
        severity=FAIL,
        title="API key without id",
        meaning="The api_key has no ':'. The Beat expects 'id:api_key' (the `id` and `api_key` fields of the "
                "create-API-key answer), so Elasticsearch cannot read it.",
        hint="Set `{prefix}.api_key` to the key's `id` and `api_key` joined by ':'.",
        setting="{prefix}.api_key",
        beat_says="401 Unauthorized: unable to authenticate with provided credentials and anonymous access is not "
                  "allowed for this request",
    ),
    Spec(
        code="auth-api-key-unknown",
        severity=FAIL,
        title="API key not found",
        meaning="Elasticsearch has no API key with this id: it was deleted, or it was created in another cluster.",
        hint=_API_KEY_NEW,
        setting="{prefix}.api_key",
        beat_says="API key: unable to find apikey with id <id>",
    ),
    Spec(
        code="auth-api-key-expired",
        severity=FAIL,
        title="API key expired",
        meaning="The API key exists but its expiration time has passed.",
        hint=_API_KEY_NEW + " Choose a longer `expiration`, or none.",
        setting="{prefix}.api_key",
        beat_says="API key: api key is expired",
    ),
    Spec(
        code="auth-api-key-invalidated",
        severity=FAIL,
        title="API key invalidated",
        meaning="The API key was invalidated (revoked) and can no longer be used.",
        hint=_API_KEY_NEW,
        setting="{prefix}.api_key",
        beat_says="API key: api key [<id>] has been invalidated",
    ),
    Spec(
        code="auth-api-key-wrong-secret",
        severity=FAIL,
        title="API key secret wrong",
        meaning="An API key with this id exists, but the part after ':' is not its secret (the `api_key` field).",
        hint="Check the part after ':' in `{prefix}.api_key`: it must be the `api_key` value returned when the key was "
             "created (it cannot be shown again).",
        setting="{prefix}.api_key",
        beat_says="API key: invalid credentials for API key [<id>]",
    ),
    Spec(
        code="auth-api-key-rejected",
        severity=FAIL,
        title="API key rejected",
        meaning="The server did not accept the API key; the message quotes why, when the server said.",
        hint=_API_KEY_NEW,
        setting="{prefix}.api_key",
        beat_says="401 Unauthorized: unable to authenticate with provided credentials and anonymous access is not "
                  "allowed for this request",
    ),
    Spec(
        code="auth-api-keys-disabled",
        severity=FAIL,
        title="API keys not enabled",
        meaning=(
            "Elasticsearch ignored the ApiKey header: its API key service is off (on 7.x it is on only with HTTPS "
            "enabled, or xpack.security.authc.api_key.enabled: true)."
        ),
        hint="Enable xpack.security.authc.api_key.enabled on the cluster, or use `{prefix}.username`/`password` "
             "instead of `{prefix}.api_key`.",
        setting="{prefix}.api_key",
        beat_says="401 Unauthorized: missing authentication credentials for REST request [/]",
    ),
    Spec(
        code="auth-rejected",
        severity=FAIL,
        title="Credentials rejected",
        meaning="The server refused the credentials; the message quotes its reason.",
        hint="Check the credentials in `{setting}`.",
        setting="{setting}",
        beat_says="401 Unauthorized: <reason>",
    ),
    Spec(
        code="auth-forbidden",
        severity=FAIL,
        title="Identity check forbidden",
        meaning="The credentials were accepted, but the server refused even to say who they belong to (403); every "
                "authenticated user may normally call _authenticate.",
        hint="Check the role of this identity and any proxy in front of the server; the message quotes the server's "
             "reason.",
        setting="{setting}",
    ),
    Spec(
        code="auth-unexpected-answer",
        severity=FAIL,
        title="Identity check failed",
        meaning="The identity check (GET /_security/_authenticate) got no usable answer.",
        hint="Check the server's log for this request; the message quotes what came back.",
        setting="{setting}",
    ),
    Spec(
        code="auth-pki-not-accepted",
        severity=FAIL,
        title="Client certificate not accepted for login",
        meaning=(
            "The client certificate is the Beat's only credential, but Elasticsearch did not authenticate the request "
            "with it: the server did not ask for a certificate (client_authentication: none), no PKI realm is "
            "configured, the realm does not trust the issuing CA, or its username_pattern finds no user name in the "
            "certificate's DN."
        ),
        hint=(
            "On Elasticsearch: xpack.security.http.ssl.client_authentication: optional (or required), a PKI realm "
            "(xpack.security.authc.realms.pki.pki1.order: 1) that trusts the CA of `{prefix}.ssl.certificate`, and a "
            "role mapping for its DN."
        ),
        setting="{prefix}.ssl.certificate",
        beat_says="401 Unauthorized: missing authentication credentials for REST request [/]",
    ),
    Spec(
        code="auth-pki-no-roles",
        severity=WARN,
        title="Client certificate maps to no role",
        meaning=(
            "The PKI realm authenticated the client certificate, but no role mapping gives it a role, so every "
            "request the Beat makes will be refused (403)."
        ),
        hint=(
            "Map the certificate's DN to the Beat's role: add it under the role in role_mapping.yml, or "
            "PUT /_security/role_mapping/<name> with a rule on the field dn."
        ),
        setting="{prefix}.ssl.certificate",
        beat_says="403 Forbidden: action [cluster:monitor/main] is unauthorized for user [<user>] with effective roles "
                  "[]",
    ),
    Spec(
        code="auth-no-roles",
        severity=WARN,
        title="User has no roles",
        meaning="The user authenticated but has no roles (or only roles that do not exist), so every request the Beat "
                "makes will be refused (403).",
        hint="Give the user the Beat's writer role (PUT /_security/user/<name> with \"roles\"), see the privileges "
             "stage for what it needs.",
        setting="{setting}",
    ),
    Spec(
        code="auth-anonymous",
        severity=WARN,
        title="Anonymous access",
        meaning=(
            "The request was accepted as Elasticsearch's anonymous user: the Beat sends no credentials (or a client "
            "certificate no realm accepted) and the cluster lets anonymous requests in with the anonymous roles."
        ),
        hint="Give the Beat its own credentials in `{prefix}` so that its access does not depend on the anonymous "
             "roles.",
        setting="{prefix}.username",
    ),
    Spec(
        code="auth-kibana-identity-unchecked",
        severity=WARN,
        title="Kibana's identity check unavailable (404)",
        meaning=(
            "Kibana answered /api/status, but its 'who am I' route (/internal/security/me) answered 404. That "
            "happens when Kibana runs without security, and equally when a proxy in front of Kibana forwards only "
            "some routes; esprobe cannot tell which, so it does not claim that security is off."
        ),
        hint=(
            "If a proxy fronts Kibana, let it pass /internal/security/me (or check the Beat's Kibana user in Stack "
            "Management > Users); if Kibana runs without security, enable it (xpack.security on its Elasticsearch)."
        ),
        setting="{prefix}.host",
    ),
    Spec(
        code="auth-security-disabled",
        severity=WARN,
        title="Security disabled on the server",
        meaning=(
            "The server has security turned off: it accepts every request without credentials, and anyone who "
            "reaches the port can read and write its data. The configured credentials are not checked."
        ),
        hint="Enable security on the server (xpack.security.enabled: true; Elasticsearch 8.x enables it by default).",
    ),
)
