"""Protobuf request bodies (`application/vnd.kubernetes.protobuf`), decoded into the JSON form the server handles.

client-go sends built-in kinds as the magic bytes `k8s\\x00` followed by a `runtime.Unknown` message whose `raw`
field holds the object's own message. Decoding is driven by the generated.proto files of `<schemas>/protobuf`:
`ProtoSchemas.load` reads their message definitions (a small subset of the .proto language: packages, messages,
nested messages, scalar, message and map fields), and `decode_object` walks the wire format along them. Field
names in generated.proto are the JSON names, except for the Go structs embedded with `json:",inline"` (listed in
`INLINE_FIELDS`, since a .proto file cannot say so), whose fields join their parent's. The few types whose JSON form
differs from their message (Time, MicroTime, Quantity, IntOrString, RawExtension, FieldsV1, and list wrappers like
ExtraValue) are converted the way their Go JSON marshallers write them. Zero values of `+optional` scalar fields are
dropped, like Go's `omitempty` (so an explicit zero in an optional pointer field, rare in requests, reads as unset).

Malformed input raises `ProtobufError` (a 400); a kind without a message definition raises `MissingSchema` (a 415).
"""

import base64
import glob
import json
import logging
import os
import re
import struct
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Callable, NamedTuple

log = logging.getLogger("fakekube")

MEDIA_TYPE = "application/vnd.kubernetes.protobuf"
MAGIC = b"k8s\x00"
MAX_BYTES = 3 * 1024 * 1024
MAX_DEPTH = 64
UNKNOWN = "k8s.io.apimachinery.pkg.runtime.Unknown"
META = "k8s.io.apimachinery.pkg.apis.meta.v1"

VARINT, FIXED64, LENGTH_DELIMITED, FIXED32 = 0, 1, 2, 5
_MAX_FIELD_NUMBER = (1 << 29) - 1
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


class ProtobufError(ValueError):
    """Malformed protobuf input; `path` names the field where it was found, outermost first."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason
        self.path = []

    def __str__(self):
        return f"{'.'.join(self.path)}: {self.reason}" if self.path else self.reason


class MissingSchema(LookupError):
    """No message definition for a kind or a type that a body needs."""


class ProtoSyntaxError(ValueError):
    """A .proto file that the reader does not understand."""


# --- wire format ---------------------------------------------------------------------------------------------------

def _varint(data, pos):
    result = shift = 0
    while True:
        if pos >= len(data):
            raise ProtobufError("truncated varint")
        if shift > 63:
            raise ProtobufError("varint longer than 10 bytes")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result & 0xFFFFFFFFFFFFFFFF, pos
        shift += 7


def _take(data, pos, length):
    if length > len(data) - pos:
        raise ProtobufError(f"truncated field: {length} bytes announced, {len(data) - pos} left")
    return data[pos:pos + length], pos + length


def read_fields(data):
    """(field number, wire type, value) for each field of one message; the value is an int or a memoryview."""
    data = memoryview(data)
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire_type = key >> 3, key & 7
        if not 0 < number <= _MAX_FIELD_NUMBER:
            raise ProtobufError(f"invalid field number {number}")
        if wire_type == VARINT:
            value, pos = _varint(data, pos)
        elif wire_type == FIXED64:
            value, pos = _take(data, pos, 8)
        elif wire_type == LENGTH_DELIMITED:
            length, pos = _varint(data, pos)
            value, pos = _take(data, pos, length)
        elif wire_type == FIXED32:
            value, pos = _take(data, pos, 4)
        else:
            raise ProtobufError(f"unsupported wire type {wire_type} in field {number}")
        yield number, wire_type, value


def _packed(data, wire_type):
    """The numbers of a packed repeated field (varints, or 4- or 8-byte values)."""
    data = memoryview(data)
    if wire_type == VARINT:
        pos, values = 0, []
        while pos < len(data):
            value, pos = _varint(data, pos)
            values.append(value)
        return values
    size = 8 if wire_type == FIXED64 else 4
    if len(data) % size:
        raise ProtobufError(f"packed field of {len(data)} bytes is not a multiple of {size}")
    return [data[i:i + size] for i in range(0, len(data), size)]


# --- scalar types ------------------------------------------------------------------------------------------------

class Scalar(NamedTuple):
    """How a scalar type travels (its wire type), how it reads as JSON, and its value when absent."""

    wire_type: int
    convert: Callable
    default: object


def _signed(value, bits):
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


def _zigzag(value):
    return (value >> 1) ^ -(value & 1)


def _utf8(data):
    try:
        return bytes(data).decode("utf-8")
    except UnicodeDecodeError:
        raise ProtobufError("string is not valid UTF-8") from None


def _little_endian(fmt):
    return lambda data: struct.unpack(fmt, data)[0]


SCALARS = {
    "int32": Scalar(VARINT, lambda v: _signed(v, 32), 0),
    "int64": Scalar(VARINT, lambda v: _signed(v, 64), 0),
    "uint32": Scalar(VARINT, lambda v: v & 0xFFFFFFFF, 0),
    "uint64": Scalar(VARINT, int, 0),
    "sint32": Scalar(VARINT, lambda v: _zigzag(v & 0xFFFFFFFF), 0),
    "sint64": Scalar(VARINT, _zigzag, 0),
    "bool": Scalar(VARINT, bool, False),
    "fixed32": Scalar(FIXED32, _little_endian("<I"), 0),
    "sfixed32": Scalar(FIXED32, _little_endian("<i"), 0),
    "float": Scalar(FIXED32, _little_endian("<f"), 0.0),
    "fixed64": Scalar(FIXED64, _little_endian("<Q"), 0),
    "sfixed64": Scalar(FIXED64, _little_endian("<q"), 0),
    "double": Scalar(FIXED64, _little_endian("<d"), 0.0),
    "string": Scalar(LENGTH_DELIMITED, _utf8, ""),
    "bytes": Scalar(LENGTH_DELIMITED, lambda data: base64.b64encode(data).decode(), ""),
}


# --- JSON forms of the types with their own marshallers ----------------------------------------------------------

def _utc(seconds, microseconds=0):
    try:
        return _EPOCH + timedelta(seconds=seconds, microseconds=microseconds)
    except OverflowError:
        raise ProtobufError(f"time of {seconds} seconds is out of range") from None


def _time(decoded):
    """meta/v1 Time: RFC 3339 in seconds; no bytes at all is the zero time, which is left out."""
    if not decoded:
        return None
    return _utc(decoded.get("seconds", 0)).isoformat(timespec="seconds").replace("+00:00", "Z")


def _micro_time(decoded):
    """meta/v1 MicroTime: RFC 3339 with microseconds."""
    if not decoded:
        return None
    nanos = decoded.get("nanos", 0)
    if not 0 <= nanos < 1_000_000_000:
        raise ProtobufError(f"nanos {nanos} out of range")
    moment = _utc(decoded.get("seconds", 0), nanos // 1000)
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


def _embedded_json(field_name):
    """RawExtension and FieldsV1 carry JSON in a bytes field."""
    def convert(decoded):
        raw = base64.b64decode(decoded.get(field_name) or "")
        if not raw:
            return None
        try:
            return json.loads(raw)
        except (ValueError, RecursionError):
            raise ProtobufError("embedded object is not JSON") from None
    return convert


def _int_or_string(decoded):
    kind = decoded.get("type", 0)
    if kind not in (0, 1):
        raise ProtobufError(f"IntOrString type must be 0 (int) or 1 (string), not {kind}")
    return decoded.get("strVal", "") if kind == 1 else decoded.get("intVal", 0)


# Go structs embedded with `json:",inline"`: generated.proto declares each as one field, while their JSON form puts
# their fields into the parent. These are core/v1's; the tests check them against the core/v1 JSON schema.
INLINE_FIELDS = {
    *(f"k8s.io.api.core.v1.{parent}.localObjectReference" for parent in (
        "ConfigMapEnvSource", "ConfigMapKeySelector", "ConfigMapProjection", "ConfigMapVolumeSource",
        "SecretEnvSource", "SecretKeySelector", "SecretProjection")),
    "k8s.io.api.core.v1.EphemeralContainer.ephemeralContainerCommon",
    "k8s.io.api.core.v1.PersistentVolumeSpec.persistentVolumeSource",
    "k8s.io.api.core.v1.Probe.handler",
    "k8s.io.api.core.v1.Volume.volumeSource",
}

JSON_FORMS = {
    f"{META}.Time": _time,
    f"{META}.MicroTime": _micro_time,
    f"{META}.FieldsV1": _embedded_json("Raw"),
    "k8s.io.apimachinery.pkg.runtime.RawExtension": _embedded_json("raw"),
    "k8s.io.apimachinery.pkg.util.intstr.IntOrString": _int_or_string,
    "k8s.io.apimachinery.pkg.api.resource.Quantity": lambda decoded: decoded.get("string", ""),
}


# --- .proto reader -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Field:
    """One field of a message, as generated.proto declares it."""

    name: str
    number: int
    type: str  # a scalar name, or a message name (fully qualified once resolved)
    repeated: bool = False
    key_type: str = ""  # set for map<key_type, type> fields
    omit_empty: bool = False  # `+optional`: a zero value is left out, like Go's omitempty
    inline: bool = False  # an embedded struct whose fields belong to the parent in JSON (INLINE_FIELDS)


@dataclass
class Message:
    """One message: its fully qualified name and its fields by number."""

    name: str  # fully qualified
    fields: dict  # number -> Field
    list_field: str = ""  # a `+protobuf.nullable=true` wrapper: its JSON form is this repeated field's list


class _Token(NamedTuple):
    kind: str
    text: str
    line: int
    comments: tuple  # the `//` comment lines just before the token


_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | //(?P<comment>[^\n]*)
  | (?P<block>/\*.*?\*/)
  | (?P<string>"(?:[^"\\\n]|\\.)*")
  | (?P<word>\.?[A-Za-z_][\w.]*)
  | (?P<number>-?\d+)
  | (?P<symbol>[{}<>;=,\[\]()])
""", re.S | re.X)


def _tokens(text, source):
    tokens, comments, pos, line = [], [], 0, 1
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise ProtoSyntaxError(f"{source}:{line}: unexpected character {text[pos]!r}")
        kind = match.lastgroup
        if kind == "comment":
            comments.append(match.group("comment").strip())
        elif kind not in ("space", "block"):
            tokens.append(_Token(kind, match.group(kind), line, tuple(comments)))
            comments = []
        line += match.group(0).count("\n")
        pos = match.end()
    return tokens


class _ProtoFile:
    """Recursive-descent reader for the part of the .proto language that generated.proto files use."""

    def __init__(self, text, source):
        self.tokens = _tokens(text, source)
        self.source = source
        self.pos = 0
        self.messages = []

    def read(self):
        package = ""
        while self.pos < len(self.tokens):
            token = self._next()
            if token.text in ("syntax", "option", "import"):
                self._skip_past(";")
            elif token.text == "package":
                package = self._word()
                self._expect(";")
            elif token.text == "message":
                self._message(package, token.comments)
            else:
                raise self._error(token, f"unsupported declaration {token.text!r}")
        return self.messages

    def _message(self, scope, comments):
        name = f"{scope}.{self._word()}" if scope else self._word()
        self._expect("{")
        fields = {}
        while not self._accept("}"):
            token = self._next()
            if token.text == "message":
                self._message(name, token.comments)
            elif token.text in ("option", "reserved", "extensions"):
                self._skip_past(";")
            elif token.text == "map":
                field = self._map_field(token)
                fields[field.number] = field
            elif token.text in ("optional", "required", "repeated"):
                field = self._field(token, self._word(), repeated=token.text == "repeated")
                fields[field.number] = field
            else:
                raise self._error(token, f"unsupported {token.text!r} in message {name}")
        wrapped = [f for f in fields.values() if f.repeated and not f.key_type]
        is_wrapper = "+protobuf.nullable=true" in comments and len(fields) == 1 and wrapped
        self.messages.append(Message(name, fields, wrapped[0].name if is_wrapper else ""))

    def _map_field(self, token):
        self._expect("<")
        key_type = self._word()
        if key_type not in SCALARS or key_type in ("float", "double", "bytes"):
            raise self._error(token, f"invalid map key type {key_type!r}")
        self._expect(",")
        value_type = self._word()
        self._expect(">")
        return replace(self._field(token, value_type), key_type=key_type)

    def _field(self, token, type_name, repeated=False):
        name = self._word()
        self._expect("=")
        number = self._next()
        if number.kind != "number" or not 0 < int(number.text) <= _MAX_FIELD_NUMBER:
            raise self._error(number, f"invalid field number {number.text!r}")
        if self._accept("["):
            self._skip_past("]")
        self._expect(";")
        return Field(name, int(number.text), type_name, repeated, omit_empty="+optional" in token.comments)

    def _next(self):
        if self.pos >= len(self.tokens):
            raise ProtoSyntaxError(f"{self.source}: unexpected end of file")
        self.pos += 1
        return self.tokens[self.pos - 1]

    def _word(self):
        token = self._next()
        if token.kind != "word":
            raise self._error(token, f"expected a name, found {token.text!r}")
        return token.text

    def _accept(self, symbol):
        if self.pos < len(self.tokens) and self.tokens[self.pos].text == symbol:
            self.pos += 1
            return True
        return False

    def _expect(self, symbol):
        token = self._next()
        if token.text != symbol:
            raise self._error(token, f"expected {symbol!r}, found {token.text!r}")

    def _skip_past(self, symbol):
        while self._next().text != symbol:
            pass

    def _error(self, token, message):
        return ProtoSyntaxError(f"{self.source}:{token.line}: {message}")


def read_proto(text, source="<proto>"):
    """The messages a .proto text defines (names fully qualified, field types not yet resolved)."""
    return _ProtoFile(text, source).read()


def _resolve(type_name, scope, messages):
    """The fully qualified name of a field type, looked up from the innermost scope outwards like protoc."""
    if type_name in SCALARS:
        return type_name
    if type_name.startswith("."):
        return type_name[1:]
    parts = scope.split(".")
    while parts:
        candidate = ".".join(parts + [type_name])
        if candidate in messages:
            return candidate
        parts.pop()
    return type_name


# --- decoding ----------------------------------------------------------------------------------------------------

def message_name(api_version, kind):
    """The generated.proto message of a built-in kind: `v1` Secret is k8s.io.api.core.v1.Secret."""
    group, _, version = api_version.rpartition("/")
    return f"k8s.io.api.{group.split('.')[0] or 'core'}.{version}.{kind}"


def _left_out(field, value):
    """Unset (an empty Time, RawExtension), or the zero value of an `+optional` scalar, which omitempty drops."""
    if value is None:
        return True
    is_scalar = field.type in SCALARS and not field.repeated and not field.key_type
    return field.omit_empty and is_scalar and value in ("", 0, False)


class ProtoSchemas:
    """Message definitions by fully qualified name, and the decoder that follows them."""

    def __init__(self, messages):
        names = {m.name for m in messages}
        self.messages = {}
        for message in messages:
            fields = {n: replace(f, type=_resolve(f.type, message.name, names),
                                 inline=f"{message.name}.{f.name}" in INLINE_FIELDS)
                      for n, f in message.fields.items()}
            self.messages[message.name] = replace(message, fields=fields)

    @classmethod
    def load(cls, directory):
        """Every `*.proto` file in `directory`; a file that cannot be read is skipped with a warning."""
        messages = []
        for path in sorted(glob.glob(os.path.join(directory, "*.proto"))):
            try:
                with open(path, encoding="utf-8") as f:
                    messages += read_proto(f.read(), path)
            except (OSError, UnicodeDecodeError, ProtoSyntaxError) as e:
                log.warning("protobuf schema %s skipped: %s", path, e)
        if not messages:
            log.warning("no .proto files in %s: protobuf request bodies get 415", directory)
        return cls(messages)

    def decode_object(self, body):
        """The JSON object of a request body: `k8s\\x00`, then a runtime.Unknown that wraps the object."""
        if len(body) > MAX_BYTES:
            raise ProtobufError(f"body of {len(body)} bytes is larger than {MAX_BYTES}")
        if bytes(body[:len(MAGIC)]) != MAGIC:
            raise ProtobufError(f"the body does not start with the protobuf prefix {MAGIC!r}")
        envelope = self.to_json(UNKNOWN, memoryview(body)[len(MAGIC):])
        if envelope.get("contentEncoding") or envelope.get("contentType", "") not in ("", MEDIA_TYPE):
            raise ProtobufError(f"runtime.Unknown with content type {envelope.get('contentType')!r} and encoding "
                                f"{envelope.get('contentEncoding')!r} is not a protobuf object")
        type_meta = envelope.get("typeMeta") or {}
        api_version, kind = type_meta.get("apiVersion", ""), type_meta.get("kind", "")
        if not api_version or not kind:
            raise ProtobufError("runtime.Unknown has no typeMeta.apiVersion or typeMeta.kind")
        name = next((n for n in (message_name(api_version, kind), f"{META}.{kind}") if n in self.messages), None)
        if name is None:
            raise MissingSchema(f"no protobuf schema for kind {kind} ({api_version})")
        try:
            obj = self.to_json(name, base64.b64decode(envelope.get("raw", "")))
        except MissingSchema as e:
            raise MissingSchema(f"no protobuf schema for kind {kind} ({api_version}): {e}") from None
        return {"apiVersion": api_version, "kind": kind, **obj}

    def to_json(self, type_name, data, depth=0):
        """The JSON form of one encoded message of the named type."""
        if depth > MAX_DEPTH:
            raise ProtobufError(f"messages nested deeper than {MAX_DEPTH}")
        message = self.messages.get(type_name)
        if message is None:
            raise MissingSchema(f"no protobuf schema for {type_name}")
        decoded = self._fields(message, data, depth)
        if type_name in JSON_FORMS:
            return JSON_FORMS[type_name](decoded)
        if message.list_field:
            return decoded.get(message.list_field, [])
        return decoded

    def _fields(self, message, data, depth):
        result, seen, inlined = {}, {}, {}
        for number, wire_type, value in read_fields(data):
            field = message.fields.get(number)
            if field is None:
                continue  # a field this schema does not know: dropped, as the apiserver's decoder does
            try:
                if field.key_type:
                    key, item = self._map_entry(field, wire_type, value, depth)
                    result.setdefault(field.name, {})[key] = item
                elif field.repeated:
                    result.setdefault(field.name, []).extend(self._repeated(field, wire_type, value, depth))
                elif field.inline:
                    inlined.update(self._value(field.type, wire_type, value, depth))
                else:
                    result[field.name] = self._value(field.type, wire_type, value, depth)
            except ProtobufError as e:
                e.path.insert(0, field.name)
                raise
            seen[field.name] = field
        return {**inlined, **{name: value for name, value in result.items() if not _left_out(seen[name], value)}}

    def _value(self, type_name, wire_type, value, depth):
        scalar = SCALARS.get(type_name)
        expected = scalar.wire_type if scalar else LENGTH_DELIMITED
        if wire_type != expected:
            raise ProtobufError(f"wire type {wire_type} where {type_name} needs {expected}")
        return scalar.convert(value) if scalar else self.to_json(type_name, value, depth + 1)

    def _repeated(self, field, wire_type, value, depth):
        scalar = SCALARS.get(field.type)
        if scalar and scalar.wire_type != LENGTH_DELIMITED and wire_type == LENGTH_DELIMITED:
            return [scalar.convert(v) for v in _packed(value, scalar.wire_type)]
        return [self._value(field.type, wire_type, value, depth)]

    def _map_entry(self, field, wire_type, value, depth):
        if wire_type != LENGTH_DELIMITED:
            raise ProtobufError(f"wire type {wire_type} where a map entry needs {LENGTH_DELIMITED}")
        key = SCALARS[field.key_type].default
        item = None
        for number, entry_wire_type, entry_value in read_fields(value):
            if number == 1:
                key = self._value(field.key_type, entry_wire_type, entry_value, depth)
            elif number == 2:
                item = self._value(field.type, entry_wire_type, entry_value, depth)
        if item is None:
            item = SCALARS[field.type].default if field.type in SCALARS else self.to_json(field.type, b"", depth + 1)
        return str(key), item
