"""Catalogue entries for the config part (see esprobe/findings/__init__.py)."""

from __future__ import annotations

from typing import Tuple

from esprobe.findings.spec import FAIL, WARN, Spec

SPECS: Tuple[Spec, ...] = (
    # ---- reading the files ------------------------------------------------------------------
    Spec(
        code="config-file-missing",
        severity=FAIL,
        title="Config file not found",
        meaning="A file given with -c does not exist, so the Beat exits before doing anything.",
        hint="Check the -c path (relative paths are taken from the current directory).",
        beat_says="Exiting: error loading config file: stat <file>: no such file or directory",
    ),
    Spec(
        code="config-file-unreadable",
        severity=FAIL,
        title="Config file cannot be read",
        meaning="A -c file exists but could not be read (permissions, a directory, not a regular file).",
        hint="Make {file} readable by the user that runs the Beat (and by esprobe).",
        beat_says="Exiting: error loading config file: open <file>: permission denied",
    ),
    Spec(
        code="config-yaml-invalid",
        severity=FAIL,
        title="Config file is not valid YAML for the Beat",
        meaning=(
            "The file does not parse as YAML, its top level is not a mapping, or a key is not a "
            "string after YAML 1.1 typing (an unquoted yes/no/on/off/y/n or number used as a key)."
        ),
        hint="Fix the YAML at {where}; quote keys such as 'on' or 'y' that YAML 1.1 reads as booleans.",
        beat_says="Exiting: error loading config file: yaml: line N: ...",
    ),
    Spec(
        code="config-duplicate-key",
        severity=WARN,
        title="Key written twice in one mapping",
        meaning=(
            "The same key appears twice in one YAML mapping. The Beat's YAML parser silently keeps "
            "the last one, so the first is ignored."
        ),
        hint="Delete one of the two '{key}' entries ({first} and {second}).",
        setting="{name}",
    ),
    Spec(
        code="config-ambiguous-key",
        severity=FAIL,
        title="Setting defined both as a dotted key and as nested keys",
        meaning=(
            "The same single value is written twice in one file, once with a dotted key that ends "
            "on it (a.b.c: x) and once nested. go-ucfg normalises the file's keys in Go's random "
            "map order: sometimes the nested value wins, sometimes the Beat refuses to start with "
            "'duplicate key'."
        ),
        hint="Keep exactly one definition of {name} ({first} or {second}).",
        setting="{name}",
        beat_says="duplicate key accessing '<setting>'",
    ),
    Spec(
        code="config-nondeterministic-merge",
        severity=WARN,
        title="List or section defined both dotted and nested: the result changes between starts",
        meaning=(
            "The same list or section is written twice in one file, once with a dotted key and "
            "once nested. go-ucfg never refuses this (two lists or sections are merged, only a "
            "single value can hit 'duplicate key'), but it merges them in Go's random map order, "
            "so each start of the Beat may use the other result. The message lists both."
        ),
        hint="Keep exactly one definition of {name} ({first} or {second}).",
        setting="{name}",
    ),
    Spec(
        code="config-override-hole",
        severity=WARN,
        title="An index-addressed -E wiped earlier list elements",
        meaning=(
            "-E output.elasticsearch.hosts.1=y does not change one element: go-ucfg builds a new "
            "list [nil, y] and merges it index by index, and the nil replaces element 0. An empty "
            "element unpacks to the field's default (an empty host becomes localhost:9200)."
        ),
        hint="Give the whole list in one flag: {fix}",
        setting="{name}",
    ),
    Spec(
        code="config-file-permissions",
        severity=FAIL,
        title="Config file fails the Beat's strict permission check",
        meaning=(
            "With strict.perms on (the default), the Beat checks every config file before it reads "
            "it and refuses to start when group or others can write the file, or when its owner is "
            "neither the Beat's user nor root. A writable file fails. A wrong owner fails when esprobe "
            "knows the Beat's user (--service, --pid) and only warns otherwise, since esprobe may run "
            "as another user than the Beat. esprobe --strict-perms=false mirrors a Beat started with "
            "-strict.perms=false, as does BEAT_STRICT_PERMS=false."
        ),
        hint="{fix}",
        beat_says='config file ("<file>") can only be writable by the owner but the permissions are "..."',
    ),
    Spec(
        code="config-override-invalid",
        severity=FAIL,
        title="An -E override cannot be parsed",
        meaning="The value of an -E flag is not valid in the Beat's flag syntax, so the Beat rejects its command line.",
        hint="Fix -E {key}: quote strings containing [ ] {{ }} , : and close every bracket and quote.",
        setting="{key}",
    ),
    # ---- variables ---------------------------------------------------------------------------
    Spec(
        code="config-variable-syntax",
        severity=FAIL,
        title="Broken ${...} syntax",
        meaning=(
            "A value contains '${' without a matching '}' or with an empty name. go-ucfg parses "
            "every string when it loads the file, so the Beat refuses the whole config even if "
            "the setting is never used."
        ),
        hint="Close the variable at {where}, or write '$$' for a literal '$'.",
    ),
    Spec(
        code="config-beyond-bounds",
        severity=FAIL,
        title="A config file is larger than esprobe reads",
        meaning=(
            "The file holds more values than any Beat config needs (esprobe stops at 50000 settings "
            "and list items, aliases counted as often as they are used), or reading it ran past the "
            "run's deadline. esprobe stops there, within its time and memory bounds, and cannot "
            "judge the config."
        ),
        hint="Check that {file} is the Beat's config (not a data file or a generated dump).",
    ),
    Spec(
        code="config-list-too-long",
        severity=FAIL,
        title="A list is longer than esprobe reads",
        meaning=(
            "esprobe reads list settings element by element, by their index, as go-ucfg addresses "
            "them (indexes 0 to 1024). A longer list cannot be judged, so no target is made from it: "
            "esprobe never guesses the entries past the limit, nor sends credentials to a default host."
        ),
        hint="Split the hosts over several runs (-E '{name}=[...]' with up to {limit} entries each).",
    ),
    Spec(
        code="config-variable-bound",
        severity=FAIL,
        title="A variable expands past esprobe's bounds",
        meaning=(
            "Expanding the ${VAR} references of a value took more text, nesting or lookups than any "
            "real config needs (a variable that doubles at every level grows exponentially), or ran "
            "past the run's deadline. go-ucfg has no such bound: the Beat would spend as long and as "
            "much memory as the expansion takes. esprobe stops and cannot judge the value."
        ),
        hint="Give {names} its final value directly instead of building it from other variables.",
    ),
    Spec(
        code="config-unresolved-variable",
        severity=FAIL,
        title="A variable used by a setting cannot be resolved",
        meaning=(
            "A ${VAR} in a setting the Beat reads is found neither in the config, nor in the "
            "environment, nor in the keystore. Beats looks in the environment before the keystore."
        ),
        hint=(
            "Define {names} in the Beat's environment (systemd: Environment= in a drop-in) or add "
            "it to the keystore ('<beat> keystore add NAME'), or give a default: ${{NAME:default}}."
        ),
        beat_says="missing field accessing '<setting>'",
    ),
    Spec(
        code="config-value-retyped",
        severity=WARN,
        title="A value changes when the Beat reads it",
        meaning=(
            "YAML 1.1 or the Beat's variable expansion turns the text into a number or boolean "
            "(0123 is octal 83, 1e3 is 1000, on is true) or strips it, so the Beat uses a different "
            "string than the one written. A numeric-looking password then fails to authenticate."
        ),
        hint="Put the value in quotes in the YAML file (or in the -E flag); for a variable, quote the text inside the "
             "variable's value.",
        setting="{name}",
    ),
    Spec(
        code="config-wrong-type",
        severity=FAIL,
        title="Setting has the wrong type",
        meaning="A setting holds a list or mapping where the Beat expects text (or text where it expects a boolean).",
        hint="Give {name} a single {expected} value.",
        setting="{name}",
        beat_says="can not convert 'object' into 'string' accessing '<setting>'",
    ),
    # ---- outputs -------------------------------------------------------------------------------
    Spec(
        code="config-no-output",
        severity=FAIL,
        title="No output configured",
        meaning="No enabled output.* section exists, so the Beat has nowhere to send events.",
        hint="Configure output.elasticsearch (or output.logstash), or set cloud.id.",
        setting="output",
        beat_says="No outputs are defined. Please define one under the output section.",
    ),
    Spec(
        code="config-multiple-outputs",
        severity=FAIL,
        title="More than one output enabled",
        meaning="A Beat sends to exactly one output; with several enabled it refuses to start.",
        hint="Keep one of {outputs}; disable the others with enabled: false or delete them.",
        setting="output",
        beat_says="more than one namespace configured accessing 'output'",
    ),
    Spec(
        code="config-output-unsupported",
        severity=WARN,
        title="Output type not probed",
        meaning="The enabled output is not Elasticsearch or Logstash; esprobe has no checks for it.",
        hint="Nothing to change for the Beat; esprobe only checks output.elasticsearch, output.logstash, setup.kibana "
             "and monitoring.",
        setting="{name}",
    ),
    Spec(
        code="config-missing-hosts",
        severity=FAIL,
        title="hosts is missing",
        meaning="The section needs a hosts list and has none (or an empty one), so the Beat refuses to start.",
        hint="Set {name}, e.g. [\"https://es.example.com:9200\"].",
        setting="{name}",
        beat_says="missing required field accessing '<setting>'",
    ),
    Spec(
        code="config-invalid-host",
        severity=FAIL,
        title="A host entry cannot be parsed",
        meaning="Go's URL parser rejects the host entry, so the Beat cannot build its client.",
        hint="Write the entry as scheme://host:port[/path], e.g. https://es.example.com:9200; put IPv6 addresses in "
             "[brackets].",
        setting="{name}",
    ),
    Spec(
        code="config-invalid-value",
        severity=FAIL,
        title="A setting has a value the Beat refuses",
        meaning=(
            "Unpacking the section into the Beat's config struct fails: a number outside the "
            "range its validate tag allows (compression_level 0-9), a duration Go cannot parse "
            "(timeout: abc), text where an integer or boolean is needed, a value where a section "
            "is needed (ssl: true), or an empty host string. The Beat refuses to start."
        ),
        hint="{fix}",
        setting="{name}",
        beat_says="requires value <= 9 accessing '<setting>' / time: invalid duration \"abc\" accessing '<setting>'",
    ),
    Spec(
        code="config-host-go-version",
        severity=WARN,
        title="A host entry is read differently by newer Go releases",
        meaning=(
            "Go's net/url grew stricter: since 1.24.8 / 1.25.2 (CVE-2025-47912) brackets must hold "
            "an IPv6 address, and since 1.26 (urlstrictcolons) the port of an http(s) URL starts at "
            "the first colon, so 'a:9200,b:9200' or a bare '::1' no longer parse. The Beat version "
            "checked still accepts this entry; Beats built with a newer Go refuse it."
        ),
        hint="Write {name} as one scheme://host:port per list element, IPv6 addresses in [brackets].",
        setting="{name}",
    ),
    Spec(
        code="config-url-fragment",
        severity=WARN,
        title="A host URL carries a #fragment",
        meaning=(
            "MakeURL keeps the #fragment, and the Elasticsearch client appends API paths to the "
            "URL text, so every path it adds (/_bulk, /_license) lands inside the fragment, "
            "which is never sent: all its requests go to the URL's path."
        ),
        hint="Remove the #... part from {name}.",
        setting="{name}",
    ),
    Spec(
        code="config-uppercase-scheme",
        severity=WARN,
        title="URL scheme not in lower case",
        meaning=(
            "The Beat only recognises lower-case schemes. 'HTTPS://es:9200' is read as host "
            "'HTTPS' behind an added 'http://', which never reaches the intended server."
        ),
        hint="Write the scheme in lower case in {name}.",
        setting="{name}",
    ),
    Spec(
        code="config-auth-conflict",
        severity=FAIL,
        title="api_key together with username/password",
        meaning=(
            "The Beat refuses a section that sets api_key and username or password at once. "
            "cloud.auth, URL userinfo and the Kibana fallback from output.elasticsearch all count."
        ),
        hint="{fix}",
        setting="{name}",
        beat_says="cannot set both api_key and username/password",
    ),
    Spec(
        code="config-api-key-format",
        severity=WARN,
        title="api_key does not look like id:key",
        meaning=(
            "The Beat expects the raw 'id:api_key' form and base64-encodes it itself. A value "
            "without a colon is usually the already-encoded form, which then gets encoded twice "
            "and is rejected by Elasticsearch."
        ),
        hint="Use the 'id' and 'api_key' fields of the create-API-key response joined by ':' (not 'encoded') in "
             "{name}.",
        setting="{name}",
    ),
    Spec(
        code="config-ssl-ignored",
        severity=WARN,
        title="ssl settings configured but the URL is http",
        meaning=(
            "Only https:// URLs use TLS. An ssl block does not switch the scheme, so these "
            "connections go out in clear text and the ssl settings are silently unused."
        ),
        hint="Write https:// in front of the hosts (or set protocol: https) in {section}.",
        setting="{name}",
    ),
    Spec(
        code="config-ssl-verification-mode",
        severity=FAIL,
        title="Unknown ssl.verification_mode",
        meaning="verification_mode must be exactly full, strict, certificate or none (lower case); anything else stops "
                "the Beat.",
        hint="Set {name} to full (the default), strict, certificate or none.",
        setting="{name}",
        beat_says="unknown verification mode '<value>'",
    ),
    Spec(
        code="config-ssl-invalid-name",
        severity=FAIL,
        title="Unknown TLS protocol, cipher suite, curve or renegotiation name",
        meaning="The Beat only accepts its own exact spellings for these names and refuses to start on anything else.",
        hint="Use one of: {allowed}.",
        setting="{name}",
        beat_says="invalid tls version '<v>' / invalid tls cipher suite '<v>' / invalid tls curve type '<v>'",
    ),
    Spec(
        code="config-ssl-cert-key-pair",
        severity=FAIL,
        title="Client certificate without key (or key without certificate)",
        meaning="ssl.certificate and ssl.key must be given together; the Beat refuses one without the other.",
        hint="Set both {prefix}.certificate and {prefix}.key, or neither.",
        setting="{name}",
        beat_says="key file not configured / certificate file not configured",
    ),
    Spec(
        code="config-ssl-passphrase-unreadable",
        severity=FAIL,
        title="key_passphrase_path cannot be read",
        meaning="The file named by key_passphrase_path cannot be read, so the Beat cannot load its TLS settings.",
        hint="Make {name} point to a readable file (its content is used verbatim, newline included).",
        setting="{name}",
        beat_says="unable to read passphrase_file: open <file>: ...",
    ),
    # ---- cloud, kibana, monitoring, logstash ---------------------------------------------------
    Spec(
        code="config-cloud-id-invalid",
        severity=FAIL,
        title="cloud.id cannot be decoded",
        meaning="cloud.id must be '<label>:<base64 of host$es_id$kibana_id>' in standard, padded base64.",
        hint="Copy {name} again from the Elastic Cloud console (Deployment > Cloud ID).",
        setting="{name}",
        beat_says="invalid cloud id '<id>': ...",
    ),
    Spec(
        code="config-cloud-id-empty-part",
        severity=WARN,
        title="cloud.id has an empty Elasticsearch or Kibana part",
        meaning=(
            "The decoded cloud.id is 'host$es_id$kibana_id'; with an empty id the Beat builds a "
            "host that starts with a dot (https://.host:443), which Go's resolver refuses to look "
            "up, so that endpoint can never be reached."
        ),
        hint=(
            "Copy {name} again from the Elastic Cloud console (Deployment > Cloud ID), or set {endpoint} "
            "yourself after it."
        ),
        setting="{name}",
        beat_says="lookup .<host>: no such host",
    ),
    Spec(
        code="config-cloud-auth-invalid",
        severity=FAIL,
        title="cloud.auth unusable",
        meaning="cloud.auth must be 'user:password' and needs cloud.id next to it.",
        hint="{fix}",
        setting="{name}",
        beat_says="cloud.auth setting doesn't contain `:` to split between username and password",
    ),
    Spec(
        code="config-cloud-output-conflict",
        severity=FAIL,
        title="cloud.id with another output enabled",
        meaning="cloud.id turns on output.elasticsearch; with another output enabled the Beat refuses to start.",
        hint="Remove cloud.id or disable output.{output}.",
        setting="cloud.id",
        beat_says="The cloud.id setting enables the Elasticsearch output, but you already have the <name> output "
                  "enabled in the config",
    ),
    Spec(
        code="config-monitoring-no-reporter",
        severity=FAIL,
        title="Monitoring enabled without a place to send it",
        meaning="monitoring is enabled, but there is no monitoring.elasticsearch section and the output is not "
                "Elasticsearch.",
        hint="Add monitoring.elasticsearch.hosts (and credentials), or set monitoring.enabled: false.",
        setting="monitoring.elasticsearch",
        beat_says="No monitoring reporter configured",
    ),
    Spec(
        code="config-monitoring-reporter-invalid",
        severity=FAIL,
        title="monitoring names no usable reporter",
        meaning=(
            "Every enabled section under monitoring is a reporter, and the Beat takes exactly one, "
            "of a type it knows: only elasticsearch. Two sections (monitoring.elasticsearch and "
            "monitoring.logstash) or another type stop the Beat."
        ),
        hint="{fix}",
        setting="{name}",
        beat_says="more than one namespace configured accessing 'monitoring' / unknown reporter type '<name>'",
    ),
    Spec(
        code="config-legacy-monitoring",
        severity=WARN,
        title="xpack.monitoring.* is not read",
        meaning=(
            "xpack.monitoring.* was deprecated in 7.0 and is no longer read by 8.x Beats; "
            "monitoring configured only there is silently off."
        ),
        hint="Move the settings to monitoring.* (monitoring.enabled, monitoring.elasticsearch.*).",
        setting="xpack.monitoring",
    ),
    Spec(
        code="config-logstash-host-invalid",
        severity=WARN,
        title="Logstash host entry will not connect",
        meaning=(
            "Logstash hosts are plain host:port strings. A scheme such as http:// is taken as part "
            "of the host name, so name resolution fails and events never leave the Beat."
        ),
        hint="Write {name} as host:port, e.g. logstash.example.com:5044.",
        setting="{name}",
    ),
    Spec(
        code="config-internal-error",
        severity=FAIL,
        title="esprobe failed while reading the config",
        meaning="An unexpected error inside esprobe's config reader (a bug); the targets could not be built.",
        hint="Report it with the output of 'esprobe bundle'.",
    ),
    # ---- keystore --------------------------------------------------------------------------------
    Spec(
        code="keystore-unreadable",
        severity=WARN,
        title="Keystore cannot be read by esprobe",
        meaning=(
            "The keystore exists but esprobe cannot open it (esprobe may run as another user than "
            "the Beat). Variables that only the keystore defines cannot be checked."
        ),
        hint="Run esprobe as the Beat's user (often root), or pass --keystore.",
        setting="keystore.path",
    ),
    Spec(
        code="config-ssl-relative-path",
        severity=WARN,
        title="Relative path in an ssl setting",
        meaning=(
            "The Beat opens ssl file settings exactly as written, so a relative path is relative to the "
            "directory the Beat runs in (/ when systemd starts it), not to its config directory. esprobe reads "
            "it relative to path.config, so the two may not see the same file."
        ),
        hint="Write an absolute path in `{setting}`.",
        setting="{setting}",
        beat_says="open <path>: no such file or directory",
    ),
    Spec(
        code="keystore-invalid",
        severity=WARN,
        title="Keystore is corrupt or in the wrong format",
        meaning=(
            "The keystore file has a wrong version prefix, broken base64, is too short, fails "
            "decryption or holds invalid JSON. esprobe carries on without its values, and any setting "
            "that needs one of them fails as an unresolved variable (exit 3). Note that the Beat itself "
            "stops at start-up when it cannot decrypt its keystore."
        ),
        hint="Recreate it with '<beat> keystore create --force' and add the secrets again.",
        setting="keystore.path",
        beat_says="could not initialize the keystore: ...",
    ),
    Spec(
        code="keystore-permissions",
        severity=FAIL,
        title="Keystore fails the Beat's strict permission check",
        meaning=(
            "With strict.perms on (the default), the keystore must have mode exactly 0600 and be "
            "owned by the Beat's user (or root), else the Beat refuses to start. A wrong mode fails "
            "(esprobe --strict-perms=false mirrors a Beat started with -strict.perms=false, as does "
            "BEAT_STRICT_PERMS=false). A wrong owner fails when esprobe knows the Beat's user "
            "(--service, --pid) and only warns otherwise, since esprobe may run as another user than the Beat."
        ),
        hint="{fix}",
        setting="keystore.path",
        beat_says='file ("<path>") can only be writable and readable by the owner but the permissions are "..."',
    ),
    Spec(
        code="keystore-value-not-utf8",
        severity=FAIL,
        title="A keystore value is not UTF-8 text",
        meaning=(
            "The Beat reads keystore values as bytes and sends them as they are; esprobe works with "
            "text, so a value that is not UTF-8 cannot be checked faithfully (a password would be "
            "judged wrong when it is not)."
        ),
        hint="Re-add the entry as UTF-8 text: '<beat> keystore add {names} --force'.",
    ),
    Spec(
        code="keystore-env-shadow",
        severity=WARN,
        title="Environment variable shadows a keystore secret",
        meaning=(
            "A variable the config uses is defined both in the environment and in the keystore "
            "with different values. The Beat's code takes the environment first (its documentation "
            "says the keystore), so the keystore value is ignored."
        ),
        hint="Unset the environment variable {names} or make both values equal.",
    ),
)
