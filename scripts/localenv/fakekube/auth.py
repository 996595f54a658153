"""Authentication (bearer tokens, client certificates) and a small RBAC-like authorizer.

The token table maps a token to a user, its groups, an optional uid and extra (`{"key": ["value"]}`) and its rules.
The admin token (random per start unless given) belongs to `admin` in `system:masters`, which may do everything.
A rule is `{"verbs": [...], "apiGroups": [...], "resources": [...], "namespaces": [...], "resourceNames": [...]}`;
`*` matches anything, and an absent or empty `namespaces`/`resourceNames` means all. Rules belong to the user name,
so a client certificate for that user (CN = user, O = groups) gets the same rights as the user's token.

TokenReview and SubjectAccessReview answer from the same table, so a component that delegates authentication and
authorization to the API server (like our inventory service) can be tested against it. SelfSubjectAccessReview and
SelfSubjectRulesReview (`kubectl auth can-i`, `can-i --list`) answer for the caller.
"""

import json
import secrets
from dataclasses import dataclass, field

MASTERS = "system:masters"
SELF_REVIEWS = ("selfsubjectaccessreviews", "selfsubjectrulesreviews", "selfsubjectreviews")
# What every authenticated user may do, like the system:basic-user role, as SelfSubjectRulesReview lists it.
BASIC_USER_RULES = [
    {"verbs": ["create"], "apiGroups": ["authorization.k8s.io"],
     "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]},
    {"verbs": ["create"], "apiGroups": ["authentication.k8s.io"], "resources": ["selfsubjectreviews"]},
]
EVERYTHING = {"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}
ALL_NON_RESOURCE_URLS = {"verbs": ["*"], "nonResourceURLs": ["*"]}


@dataclass
class Identity:
    username: str
    groups: list = field(default_factory=list)
    uid: str = ""
    extra: dict = field(default_factory=dict)  # key -> [values], as UserInfo.extra

    def user_info(self):
        info = {"username": self.username, "groups": list(self.groups)}
        if self.uid:
            info["uid"] = self.uid
        if self.extra:
            info["extra"] = {key: list(values) for key, values in self.extra.items()}
        return info


@dataclass
class Attributes:
    """What a request does, in authorization terms."""

    verb: str
    group: str = ""
    resource: str = ""
    subresource: str = ""
    namespace: str = ""
    name: str = ""
    path: str = ""

    @property
    def is_resource(self):
        return bool(self.resource)


def _matches(values, wanted):
    return "*" in values or wanted in values


def rule_allows(rule, attrs):
    if not _matches(rule.get("verbs") or [], attrs.verb):
        return False
    if not _matches(rule.get("apiGroups") or [], attrs.group):
        return False
    resources = rule.get("resources") or []
    target = f"{attrs.resource}/{attrs.subresource}" if attrs.subresource else attrs.resource
    if not (_matches(resources, target) or (attrs.subresource and f"*/{attrs.subresource}" in resources)):
        return False
    namespaces = rule.get("namespaces") or []
    if namespaces and not _matches(namespaces, attrs.namespace):
        return False
    names = rule.get("resourceNames") or []
    return not names or (bool(attrs.name) and attrs.name in names)


class Authenticator:
    """The token table plus the authorization decisions derived from it."""

    def __init__(self, admin_token=None, tokens_file=None):
        self.admin_token = admin_token or secrets.token_hex(24)
        self.tokens = {self.admin_token: {"username": "admin", "groups": [MASTERS], "rules": []}}
        if tokens_file:
            with open(tokens_file, encoding="utf-8") as f:
                for token, entry in json.load(f).items():
                    self.tokens[token] = {"username": entry["username"], "groups": list(entry.get("groups") or []),
                                          "uid": entry.get("uid", ""), "extra": dict(entry.get("extra") or {}),
                                          "rules": list(entry.get("rules") or [])}

    def identity_for_token(self, token):
        entry = self.tokens.get(token)
        if entry is None:
            return None
        groups = list(entry["groups"]) + ["system:authenticated"]
        return Identity(entry["username"], groups, entry.get("uid", ""), entry.get("extra") or {})

    @staticmethod
    def identity_for_certificate(peer_cert):
        """User from a verified client certificate: CN is the user name, each O a group."""
        if not peer_cert:
            return None
        names, groups = [], []
        for rdn in peer_cert.get("subject", ()):
            for key, value in rdn:
                if key == "commonName":
                    names.append(value)
                elif key == "organizationName":
                    groups.append(value)
        if not names:
            return None
        return Identity(names[0], groups + ["system:authenticated"])

    def rules_for(self, username):
        return [rule for entry in self.tokens.values() if entry["username"] == username for rule in entry["rules"]]

    def allowed(self, username, groups, attrs):
        if MASTERS in groups:
            return True
        if not attrs.is_resource:
            return True  # discovery, OpenAPI and version are open to every authenticated user
        if attrs.verb == "create" and attrs.resource in SELF_REVIEWS:
            return True  # like the system:basic-user role: everyone may ask what they are and what they may do
        return any(rule_allows(rule, attrs) for rule in self.rules_for(username))

    @staticmethod
    def forbidden_message(identity, attrs):
        resource = f"{attrs.resource}.{attrs.group}" if attrs.group else attrs.resource
        subject = f'{resource} "{attrs.name}"' if attrs.name else resource
        target = f"{attrs.resource}/{attrs.subresource}" if attrs.subresource else attrs.resource
        scope = f'in the namespace "{attrs.namespace}"' if attrs.namespace else "at the cluster scope"
        return (f'{subject} is forbidden: User "{identity.username}" cannot {attrs.verb} resource "{target}" '
                f'in API group "{attrs.group}" {scope}')

    # --- review objects ----------------------------------------------------------------------------------------

    def token_review(self, body):
        token = ((body.get("spec") or {}).get("token")) or ""
        identity = self.identity_for_token(token)
        status = {"authenticated": True, "user": identity.user_info()} if identity else \
            {"authenticated": False, "error": "invalid bearer token"}
        audiences = (body.get("spec") or {}).get("audiences")
        if identity and audiences:
            status["audiences"] = audiences
        return _review(body, "authentication.k8s.io/v1", "TokenReview", status)

    def subject_access_review(self, body, identity=None):
        """SubjectAccessReview for spec.user/groups, or SelfSubjectAccessReview for `identity`."""
        spec = body.get("spec") or {}
        if identity is not None:
            username, groups = identity.username, identity.groups
            kind = "SelfSubjectAccessReview"
        else:
            username, groups = spec.get("user", ""), list(spec.get("groups") or [])
            kind = "SubjectAccessReview"
        ra = spec.get("resourceAttributes")
        if ra:
            attrs = Attributes(verb=ra.get("verb", ""), group=ra.get("group", ""), resource=ra.get("resource", ""),
                               subresource=ra.get("subresource", ""), namespace=ra.get("namespace", ""),
                               name=ra.get("name", ""))
        else:
            nra = spec.get("nonResourceAttributes") or {}
            attrs = Attributes(verb=nra.get("verb", ""), path=nra.get("path", ""))
        if self.allowed(username, groups, attrs):
            status = {"allowed": True, "reason": "allowed by the fake token table"}
        else:
            status = {"allowed": False, "reason": f'no rule allows user "{username}" to {attrs.verb} this'}
        return _review(body, "authorization.k8s.io/v1", kind, status)

    def self_subject_rules_review(self, body, identity):
        """SelfSubjectRulesReview: the caller's rules that apply in spec.namespace (every rule for the admin)."""
        namespace = (body.get("spec") or {}).get("namespace") or ""
        if MASTERS in identity.groups:
            rules = [EVERYTHING]
        else:
            rules = [_resource_rule(r) for r in self.rules_for(identity.username) if _applies_in(r, namespace)]
        status = {"resourceRules": rules + BASIC_USER_RULES,
                  "nonResourceRules": [ALL_NON_RESOURCE_URLS],  # non-resource paths are open to every user
                  "incomplete": False}
        return _review(body, "authorization.k8s.io/v1", "SelfSubjectRulesReview", status)

    @staticmethod
    def self_subject_review(identity):
        return {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview",
                "metadata": {"creationTimestamp": None}, "status": {"userInfo": identity.user_info()}}


def _applies_in(rule, namespace):
    namespaces = rule.get("namespaces") or []
    return not namespaces or _matches(namespaces, namespace)


def _resource_rule(rule):
    """A token-table rule in ResourceRule form (its namespaces are what the review was asked about)."""
    return {key: list(rule[key]) for key in ("verbs", "apiGroups", "resources", "resourceNames") if rule.get(key)}


def _review(body, api_version, kind, status):
    return {"apiVersion": api_version, "kind": kind, "metadata": {"creationTimestamp": None},
            "spec": body.get("spec") or {}, "status": status}
