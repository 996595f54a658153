"""Protobuf request bodies: the wire-format decoder and .proto reader (in process), then raw HTTP against the server.

Wire bytes are built by hand with the small encoder below, or copied from what kubectl 1.32 sent (`-v=9`).
"""

import base64
import json
import logging
import re

import pytest

from .conftest import REPO

SCHEMAS = REPO.parent / "shared" / "schemas"
PROTOS = SCHEMAS / "protobuf"
MEDIA_TYPE = "application/vnd.kubernetes.protobuf"

# `kubectl create secret generic s --from-literal=a=b`, as kubectl 1.32 sent it.
KUBECTL_SECRET = bytes.fromhex(
    "6b387300 0a0c0a02 76311206 53656372 6574121d 0a110a01 7312001a 0022002a"
    "00320038 00420012 060a0161 1201621a 001a0022 00")


# --- a tiny encoder for hand-built messages ---------------------------------------------------------------------

def varint(n):
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def number(field, n):
    return varint(field << 3) + varint(n)


def delimited(field, payload):
    payload = payload.encode() if isinstance(payload, str) else payload
    return varint(field << 3 | 2) + varint(len(payload)) + payload


def entry(field, key, value):
    return delimited(field, delimited(1, key) + delimited(2, value))


def envelope(api_version, kind, raw):
    return b"k8s\x00" + delimited(1, delimited(1, api_version) + delimited(2, kind)) + delimited(2, raw)


def meta(name, **more):
    return delimited(1, delimited(1, name) + b"".join(more.values()))


# --- fixtures ----------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def protobuf():
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(REPO / "scripts" / "localenv"))
        from fakekube import protobuf as module
    return module


@pytest.fixture(scope="module")
def schemas(protobuf):
    return protobuf.ProtoSchemas.load(str(PROTOS))


def decode_error(protobuf, schemas, body):
    with pytest.raises(protobuf.ProtobufError) as error:
        schemas.decode_object(body)
    return str(error.value)


# --- decoding --------------------------------------------------------------------------------------------------

def test_kubectl_secret_decodes_to_its_json_form(schemas):
    assert schemas.decode_object(KUBECTL_SECRET) == {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
                                                     "data": {"a": base64.b64encode(b"b").decode()}}


def test_times_quantities_int_or_string_inline_and_repeated_fields(schemas):
    time = delimited(8, number(1, 1767225600) + number(2, 5))  # creationTimestamp, nanos dropped like upstream
    container = (delimited(1, "main") + delimited(2, "busybox")
                 + delimited(6, number(3, 80)) + delimited(6, number(3, 443))  # ports
                 + delimited(8, entry(1, "memory", delimited(1, "2Gi")))  # resources.limits
                 + delimited(10, delimited(1, delimited(2, delimited(2, number(1, 1) + delimited(3, "http"))))
                             + number(6, -1)))  # livenessProbe; a negative int32 is a 10-byte varint
    security = delimited(4, varint(7) + varint(8)) + number(4, 9)  # supplementalGroups: packed, then not
    volume = delimited(1, "config") + delimited(2, delimited(19, delimited(1, delimited(1, "settings"))))
    pod_spec = (delimited(1, volume) + delimited(2, container) + delimited(14, security)
                + number(11, 0))  # hostNetwork: the zero of a +optional field is left out
    pod = meta("web", labels=entry(11, "app", "web"), time=time) + delimited(2, pod_spec) + number(99, 1)
    obj = schemas.decode_object(envelope("v1", "Pod", pod))
    assert obj["metadata"] == {"name": "web", "labels": {"app": "web"}, "creationTimestamp": "2026-01-01T00:00:00Z"}
    assert obj["spec"] == {
        "volumes": [{"name": "config", "configMap": {"name": "settings"}}],
        "containers": [{"name": "main", "image": "busybox", "ports": [{"containerPort": 80}, {"containerPort": 443}],
                        "resources": {"limits": {"memory": "2Gi"}},
                        "livenessProbe": {"httpGet": {"port": "http"}, "failureThreshold": -1}}],
        "securityContext": {"supplementalGroups": [7, 8, 9]}}
    service = delimited(2, delimited(1, delimited(4, number(1, 0) + number(2, 8080) + delimited(3, ""))))
    assert schemas.decode_object(envelope("v1", "Service", meta("s") + service))["spec"] == {
        "ports": [{"targetPort": 8080}]}


def test_micro_time_raw_extension_and_list_wrappers(schemas):
    event = meta("e") + delimited(10, number(1, 1767225600) + number(2, 123456789))
    assert schemas.decode_object(envelope("v1", "Event", event))["eventTime"] == "2026-01-01T00:00:00.123456Z"
    items = delimited(2, delimited(1, json.dumps({"kind": "ConfigMap", "data": {"a": "b"}})))
    assert schemas.decode_object(envelope("v1", "List", items))["items"] == [{"kind": "ConfigMap", "data": {"a": "b"}}]
    extra = entry(5, "scopes", delimited(1, "a") + delimited(1, "b"))
    review = delimited(2, delimited(1, delimited(2, "get") + delimited(5, "pods")) + delimited(3, "bob") + extra)
    obj = schemas.decode_object(envelope("authorization.k8s.io/v1", "SubjectAccessReview", review + delimited(3, b"")))
    assert obj["spec"] == {"resourceAttributes": {"verb": "get", "resource": "pods"}, "user": "bob",
                           "extra": {"scopes": ["a", "b"]}}
    assert obj["status"] == {}, "status.allowed is not +optional, but it is unset"


def test_zero_values_of_required_fields_stay(schemas):
    status = delimited(3, number(1, 0) + number(4, 0))  # allowed (required), denied (+optional)
    obj = schemas.decode_object(envelope("authorization.k8s.io/v1", "SelfSubjectAccessReview", status))
    assert obj["status"] == {"allowed": False}


def test_meta_kinds_like_delete_options_decode_in_any_group_version(schemas):
    options = delimited(2, delimited(1, "uid-1")) + delimited(4, "Foreground")
    assert schemas.decode_object(envelope("v1", "DeleteOptions", options)) == {
        "apiVersion": "v1", "kind": "DeleteOptions", "preconditions": {"uid": "uid-1"},
        "propagationPolicy": "Foreground"}


def test_every_scalar_type_reads_like_protoc(protobuf):
    scalars = protobuf.ProtoSchemas(protobuf.read_proto("""package t; message S {
        optional int32 i32 = 1; optional int64 i64 = 2; optional uint32 u32 = 3; optional uint64 u64 = 4;
        optional sint32 s32 = 5; optional sint64 s64 = 6; optional bool b = 7; optional fixed32 f32 = 8;
        optional sfixed32 sf32 = 9; optional float f = 10; optional fixed64 f64 = 11; optional sfixed64 sf64 = 12;
        optional double d = 13; optional bytes raw = 14; repeated double ds = 15; repeated sint32 zs = 16; }"""))

    def fixed(field, wire_type, data):
        return varint(field << 3 | wire_type) + data

    body = (number(1, -2) + number(2, -(1 << 40)) + number(3, (1 << 32) + 7) + number(4, (1 << 64) - 1)
            + number(5, 5) + number(6, 4) + number(7, 2) + fixed(8, 5, b"\xff\xff\xff\xff")
            + fixed(9, 5, b"\xfe\xff\xff\xff") + fixed(10, 5, b"\x00\x00\xc0\x3f")
            + fixed(11, 1, b"\x01" + b"\x00" * 7) + fixed(12, 1, b"\xff" * 8)
            + fixed(13, 1, b"\x00" * 6 + b"\xf8\x3f") + delimited(14, b"\x00\xff")
            + delimited(15, b"\x00" * 6 + b"\xf0\x3f" + b"\x00" * 8) + delimited(16, varint(1) + varint(2)))
    assert scalars.to_json("t.S", body) == {
        "i32": -2, "i64": -(1 << 40), "u32": 7, "u64": (1 << 64) - 1, "s32": -3, "s64": 2, "b": True,
        "f32": (1 << 32) - 1, "sf32": -2, "f": 1.5, "f64": 1, "sf64": -1, "d": 1.5, "raw": "AP8=", "ds": [1.0, 0.0],
        "zs": [-1, 1]}
    with pytest.raises(protobuf.ProtobufError, match="ds: packed field of 7 bytes is not a multiple of 8"):
        scalars.to_json("t.S", delimited(15, b"\x00" * 7))


@pytest.mark.parametrize("body, message", [
    (b'{"kind": "Secret"}', "does not start with the protobuf prefix"),
    (b"k8s\x00\n\x0f", "truncated field: 15 bytes announced, 0 left"),
    (b"k8s\x00\x80", "truncated varint"),
    (b"k8s\x00" + number(1, 0)[:1] + b"\xff" * 10 + b"\x01", "varint longer than 10 bytes"),
    (b"k8s\x00\x00\x00", "invalid field number 0"),
    (b"k8s\x00\x0b", "unsupported wire type 3 in field 1"),
    (b"k8s\x00\x0e", "unsupported wire type 6 in field 1"),
    (envelope("v1", "Secret", delimited(1, number(1, 5))), "metadata.name: wire type 0 where string needs 2"),
    (envelope("v1", "Secret", meta("s", bad=delimited(3, b"\xff\xfe"))), "metadata.namespace: string is not valid"),
    (envelope("v1", "Service", meta("s") + delimited(2, delimited(1, delimited(4, number(1, 2))))),
     "spec.ports.targetPort: IntOrString type must be 0 (int) or 1 (string), not 2"),
    (envelope("v1", "Secret", meta("s", time=delimited(8, number(1, 10 ** 12)))),
     "metadata.creationTimestamp: time of 1000000000000 seconds is out of range"),
    (envelope("v1", "List", delimited(2, delimited(1, b"\x0a\x00"))), "items: embedded object is not JSON"),
    (b"k8s\x00" + delimited(1, delimited(1, "v1")) + delimited(2, b""), "has no typeMeta.apiVersion or typeMeta.kind"),
    (envelope("v1", "Secret", b"") + delimited(3, "gzip"), "is not a protobuf object"),
])
def test_malformed_bodies_are_protobuf_errors(protobuf, schemas, body, message):
    assert message in decode_error(protobuf, schemas, body)


def test_size_and_nesting_are_bounded(protobuf):
    runtime = (PROTOS / "k8s.io-apimachinery-runtime-generated.proto").read_text()
    nested = protobuf.ProtoSchemas(protobuf.read_proto(runtime) + protobuf.read_proto(
        "package k8s.io.api.core.v1; message Node { optional Node child = 1; optional string name = 2; }"))

    def chain(depth):
        body = delimited(2, "leaf")
        for _ in range(depth):
            body = delimited(1, body)
        return envelope("v1", "Node", body)

    assert nested.decode_object(chain(protobuf.MAX_DEPTH))["kind"] == "Node"
    assert "messages nested deeper than 64" in decode_error(protobuf, nested, chain(protobuf.MAX_DEPTH + 1))
    too_big = b"k8s\x00" + b"\x00" * protobuf.MAX_BYTES
    assert "larger than" in decode_error(protobuf, nested, too_big)


def test_kinds_without_a_schema_name_the_kind(protobuf, schemas, tmp_path):
    with pytest.raises(protobuf.MissingSchema, match=r"no protobuf schema for kind Deployment \(apps/v1\)"):
        schemas.decode_object(envelope("apps/v1", "Deployment", b""))
    for name in ("k8s.io-api-core-v1-generated.proto", "k8s.io-apimachinery-runtime-generated.proto"):
        (tmp_path / name).write_text((PROTOS / name).read_text())
    without_meta = protobuf.ProtoSchemas.load(str(tmp_path))
    with pytest.raises(protobuf.MissingSchema, match=r"kind Secret \(v1\): .*meta\.v1\.ObjectMeta"):
        without_meta.decode_object(KUBECTL_SECRET)
    with pytest.raises(protobuf.MissingSchema, match="runtime.Unknown"):
        protobuf.ProtoSchemas.load(str(tmp_path / "missing")).decode_object(KUBECTL_SECRET)


def test_inline_fields_are_those_the_core_v1_json_schema_inlines(protobuf, schemas):
    """A message field that the JSON schema lacks, while it has the embedded message's fields, is inlined."""
    defs = json.loads((SCHEMAS / "core-v1" / "core-v1.32-strict.schema.json").read_text())["$defs"]
    prefixes = {"k8s.io.api.core.v1.": "io.k8s.api.core.v1.", f"{protobuf.META}.": f"io.k8s.{protobuf.META[7:]}."}

    def json_properties(name):
        for proto_prefix, json_prefix in prefixes.items():
            if name.startswith(proto_prefix) and json_prefix + name[len(proto_prefix):] in defs:
                return set(defs[json_prefix + name[len(proto_prefix):]].get("properties") or {})
        return None

    inlined = set()
    for name, message in schemas.messages.items():
        properties = json_properties(name)
        for field in message.fields.values() if properties else ():
            embedded = None if field.repeated or field.key_type else schemas.messages.get(field.type)
            if embedded and field.name not in properties and {f.name for f in embedded.fields.values()} & properties:
                inlined.add(f"{name}.{field.name}")
    assert inlined == protobuf.INLINE_FIELDS


# --- the .proto reader -----------------------------------------------------------------------------------------

def test_reader_resolves_nested_and_cross_package_types(protobuf):
    messages = protobuf.read_proto("""
        syntax = "proto2";
        package a.b;
        import "other.proto";
        option go_package = "x";
        // Outer has a nested Inner; `Inner` inside Outer means a.b.Outer.Inner.
        message Outer {
          message Inner { optional string name = 1 [(gogoproto.nullable) = false]; }
          // +optional
          optional Inner inner = 1;
          repeated .c.d.Far far = 2;
          map<string, Inner> byName = 3;
          optional Top top = 4;
        }
        message Top { reserved 2; }
    """)
    schemas = protobuf.ProtoSchemas(messages)
    outer = schemas.messages["a.b.Outer"].fields
    assert (outer[1].type, outer[1].omit_empty) == ("a.b.Outer.Inner", True)
    assert (outer[2].type, outer[2].repeated) == ("c.d.Far", True)
    assert (outer[3].type, outer[3].key_type) == ("a.b.Outer.Inner", "string")
    assert outer[4].type == "a.b.Top"
    assert schemas.messages["a.b.Outer.Inner"].fields[1].type == "string"


@pytest.mark.parametrize("text, message", [
    ("message M { enum E { A = 0; } }", "unsupported 'enum' in message M"),
    ("message M { map<double, string> m = 1; }", "invalid map key type 'double'"),
    ("message M { optional string s = 0; }", "invalid field number '0'"),
    ("message M { optional string s = 1 }", "expected ';'"),
    ("message M { optional string s = 1;", "unexpected end of file"),
    ("service S {}", "unsupported declaration 'service'"),
    ("message M { optional string s = 1; } $", "unexpected character '$'"),
])
def test_reader_rejects_what_it_does_not_understand(protobuf, text, message):
    with pytest.raises(protobuf.ProtoSyntaxError, match=re.escape(message)):
        protobuf.read_proto(text, "x.proto")


def test_unreadable_proto_files_are_skipped_with_a_warning(protobuf, tmp_path, caplog):
    (tmp_path / "bad.proto").write_text("message M { enum E {} }")
    (tmp_path / "good.proto").write_text("package p; message M { optional string s = 1; }")
    with caplog.at_level(logging.WARNING, logger="fakekube"):
        schemas = protobuf.ProtoSchemas.load(str(tmp_path))
    assert list(schemas.messages) == ["p.M"]
    assert "bad.proto" in caplog.text


# --- over HTTP ----------------------------------------------------------------------------------------------------

def post_protobuf(kube, path, body, **kwargs):
    return kube.request("POST", path, raw=body, headers={"Content-Type": MEDIA_TYPE,
                                                         "Accept": f"{MEDIA_TYPE}, */*"}, **kwargs)


def test_protobuf_create_answers_json(kube, ns):
    created = post_protobuf(kube, f"/api/v1/namespaces/{ns}/secrets", KUBECTL_SECRET)
    assert created.status == 201 and created.headers["Content-Type"] == "application/json"
    assert created.json["data"] == {"a": "Yg=="} and created.json["metadata"]["namespace"] == ns
    wrong_kind = post_protobuf(kube, f"/api/v1/namespaces/{ns}/configmaps", KUBECTL_SECRET)
    assert wrong_kind.status == 400 and "does not match the expected kind" in wrong_kind.json["message"]


def test_malformed_and_unknown_protobuf_bodies(kube, ns):
    truncated = post_protobuf(kube, f"/api/v1/namespaces/{ns}/configmaps", b"k8s\x00\n\x0f")
    assert truncated.status == 400 and truncated.json["reason"] == "BadRequest"
    assert truncated.json["message"] == "couldn't decode the protobuf body: truncated field: 15 bytes announced, 0 left"
    plan = post_protobuf(kube, f"/apis/forklift.konveyor.io/v1beta1/namespaces/{ns}/plans",
                         envelope("forklift.konveyor.io/v1beta1", "Plan", meta("p")))
    assert plan.status == 415 and plan.json["reason"] == "UnsupportedMediaType"
    assert "no protobuf schema for kind Plan (forklift.konveyor.io/v1beta1)" in plan.json["message"]


def test_protobuf_delete_options_and_reviews(kube, ns):
    kube.ok("POST", f"/api/v1/namespaces/{ns}/configmaps", {"metadata": {"name": "gone"}})
    stale = envelope("v1", "DeleteOptions", delimited(2, delimited(1, "not-the-uid")))
    path = f"/api/v1/namespaces/{ns}/configmaps/gone"
    headers = {"Content-Type": MEDIA_TYPE}
    assert kube.request("DELETE", path, raw=stale, headers=headers).status == 409
    assert kube.request("DELETE", path, raw=envelope("v1", "DeleteOptions", b""), headers=headers).status == 200
    rules = post_protobuf(kube, "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews",
                          envelope("authorization.k8s.io/v1", "SelfSubjectRulesReview",
                                   meta("") + delimited(2, delimited(1, "openshift-mtv"))))
    assert rules.status == 201 and rules.json["spec"] == {"namespace": "openshift-mtv"}
    assert rules.json["status"]["resourceRules"][0] == {"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}
