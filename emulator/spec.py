"""Data-driven validation of Bot API calls against `api.json` (the published Bot API spec).

Every parameter is checked against the types the spec lists for it, recursively through
nested objects (reply markups, command scopes, entities...). Values arrive either as strings
(form-urlencoded, multipart, query string: objects and arrays as JSON text) or typed (JSON
bodies); both are coerced to typed Python values the same way Telegram's server does.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from emulator.errors import ApiError, bad_request

SPEC_PATH = Path(__file__).with_name("api.json")

# Telegram's own wording for some missing parameters; the rest get a generic sentence.
_MISSING_WORDING = {
    "chat_id": "chat_id is empty",
    "text": "message text is empty",
    "callback_query_id": "query_id is empty",
    "file_id": "file_id is empty",
    "photo": "there is no photo in the request",
    "document": "there is no document in the request",
    "message_id": "message identifier is not specified",
}

_INT_RE = re.compile(r"^[+-]?\d+$")
_TRUE = {"true", "True", "1"}
_FALSE = {"false", "False", "0"}
# Subtype discriminators are only stated in prose: 'must be chat' / 'always "emoji"'.
_DISCRIMINATOR_RE = re.compile(r"(?:must be|always)\s+[\"“]?([a-z_]+)")


@dataclass(frozen=True)
class Upload:
    """A file that arrived as a multipart part."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class FieldSpec:
    """One parameter of a method or one field of a type."""

    name: str
    types: tuple[str, ...]
    required: bool


@dataclass(frozen=True)
class MethodSpec:
    """One Bot API method: canonical name, parameters, return types."""

    name: str
    fields: dict[str, FieldSpec]
    returns: tuple[str, ...]


@dataclass(frozen=True)
class TypeSpec:
    """One Bot API object type, or a union of subtypes."""

    name: str
    fields: dict[str, FieldSpec]
    subtypes: tuple[str, ...] = ()
    discriminator: str | None = None


@dataclass
class _Mismatch(Exception):
    """Internal: a value did not fit; `path` names where, `problem` says why."""

    path: str
    problem: str
    depth: int = field(default=0)


class Spec:
    """The Bot API spec loaded from api.json, with validation of calls."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.version: str = data.get("version", "")
        self.methods: dict[str, MethodSpec] = {}
        self._by_lower: dict[str, MethodSpec] = {}
        for name, raw in data["methods"].items():
            method = MethodSpec(name, _fields(raw.get("fields", [])), tuple(raw["returns"]))
            self.methods[name] = method
            self._by_lower[name.lower()] = method
        self.types: dict[str, TypeSpec] = {}
        for name, raw in data["types"].items():
            fields = _fields(raw.get("fields", []))
            discriminator = None
            type_field = next((f for f in raw.get("fields", []) if f["name"] == "type"), None)
            if type_field is not None:
                match = _DISCRIMINATOR_RE.search(type_field.get("description", ""))
                discriminator = match.group(1) if match else None
            self.types[name] = TypeSpec(name, fields, tuple(raw.get("subtypes", ())), discriminator)

    def method(self, name: str) -> MethodSpec | None:
        """The method with this name, case-insensitively (as Telegram routes), or None."""
        return self._by_lower.get(name.lower())

    def validate(
        self, method: MethodSpec, raw: dict[str, Any], files: dict[str, Upload] | None = None
    ) -> dict[str, Any]:
        """Check `raw` parameters against `method`; return them typed, or raise ApiError 400."""
        files = files or {}
        # A multipart part may carry a parameter directly (PTB uploads `photo` this way).
        merged: dict[str, Any] = dict(raw)
        for name, upload in files.items():
            if name in method.fields and name not in merged:
                merged[name] = upload
        for name in merged:
            if name not in method.fields:
                raise bad_request(f'unknown parameter "{name}" for method {method.name}')
        out: dict[str, Any] = {}
        for spec_field in method.fields.values():
            if spec_field.name not in merged or _blank(merged[spec_field.name]):
                if spec_field.required:
                    raise bad_request(
                        _MISSING_WORDING.get(
                            spec_field.name, f'parameter "{spec_field.name}" is required'
                        )
                    )
                continue
            try:
                out[spec_field.name] = self._coerce(
                    merged[spec_field.name], spec_field.types, spec_field.name, files
                )
            except _Mismatch as exc:
                raise _as_error(exc) from None
        return out

    def check_object(self, type_name: str, value: Any, path: str) -> dict[str, Any]:
        """Validate one object against a named type; raise ApiError 400 if it does not fit."""
        try:
            return self._coerce(value, (type_name,), path, {})
        except _Mismatch as exc:
            raise _as_error(exc) from None

    # -- coercion -------------------------------------------------------------------------

    def _coerce(
        self, value: Any, types: tuple[str, ...], path: str, files: dict[str, Upload]
    ) -> Any:
        best: _Mismatch | None = None
        for type_name in types:
            try:
                return self._coerce_one(value, type_name, path, files)
            except _Mismatch as exc:
                # Report the alternative that got furthest, e.g. the inline keyboard's
                # broken button rather than "not a ReplyKeyboardMarkup".
                if best is None or exc.depth > best.depth:
                    best = exc
        assert best is not None
        if len(types) > 1 and best.depth == 0:
            raise _Mismatch(path, f"must be of type {' or '.join(types)}")
        raise best

    def _coerce_one(self, value: Any, type_name: str, path: str, files: dict[str, Upload]) -> Any:
        if type_name.startswith("Array of "):
            items = _json_if_text(value, path)
            if not isinstance(items, list):
                raise _Mismatch(path, f"must be of type {type_name}")
            inner = type_name.removeprefix("Array of ")
            out = []
            for index, item in enumerate(items):
                try:
                    out.append(self._coerce_one(item, inner, f"{path}[{index}]", files))
                except _Mismatch as exc:
                    exc.depth += 1
                    raise
            return out
        if type_name == "Integer":
            return _integer(value, path)
        if type_name == "Float":
            return _float(value, path)
        if type_name == "Boolean":
            return _boolean(value, path)
        if type_name == "String":
            if isinstance(value, str):
                return value
            # Telegram's JSON parser accepts numbers where strings are expected.
            if isinstance(value, int | float) and not isinstance(value, bool):
                return str(value)
            raise _Mismatch(path, "must be of type String")
        if type_name == "InputFile":
            if isinstance(value, Upload):
                return value
            if isinstance(value, str) and value.startswith("attach://"):
                upload = files.get(value.removeprefix("attach://"))
                if upload is None:
                    raise _Mismatch(path, f"file {value} not found in the request")
                return upload
            raise _Mismatch(path, "must be a file upload")
        type_spec = self.types.get(type_name)
        if type_spec is None:
            # Types the spec names but does not define are accepted as given.
            return value
        return self._coerce_object(value, type_spec, path, files)

    def _coerce_object(
        self, value: Any, type_spec: TypeSpec, path: str, files: dict[str, Upload]
    ) -> Any:
        obj = _json_if_text(value, path)
        if type_spec.subtypes:
            if isinstance(obj, dict) and isinstance(obj.get("type"), str):
                for sub in type_spec.subtypes:
                    sub_spec = self.types.get(sub)
                    if sub_spec and sub_spec.discriminator == obj["type"]:
                        return self._coerce_object(obj, sub_spec, path, files)
                raise _Mismatch(path, f'unsupported {type_spec.name} type "{obj["type"]}"', 1)
            return self._coerce(obj, type_spec.subtypes, path, files)
        if not isinstance(obj, dict):
            raise _Mismatch(path, f"must be an object of type {type_spec.name}")
        known = sum(1 for key in obj if key in type_spec.fields)
        depth = 1 if known else 0
        out: dict[str, Any] = {}
        for key in obj:
            if key not in type_spec.fields:
                raise _Mismatch(f"{path}.{key}", f"is not a field of {type_spec.name}", depth)
        for spec_field in type_spec.fields.values():
            sub_path = f"{path}.{spec_field.name}"
            if spec_field.name not in obj or obj[spec_field.name] is None:
                if spec_field.required:
                    raise _Mismatch(sub_path, "is required", depth)
                continue
            if spec_field.name == "type" and type_spec.discriminator:
                if obj["type"] != type_spec.discriminator:
                    raise _Mismatch(sub_path, f'must be "{type_spec.discriminator}"', depth)
            try:
                out[spec_field.name] = self._coerce(
                    obj[spec_field.name], spec_field.types, sub_path, files
                )
            except _Mismatch as exc:
                exc.depth += depth + 1
                raise
        return out


@cache
def load_spec() -> Spec:
    """The spec from api.json, parsed once per process (the file is ~650 KB)."""
    with SPEC_PATH.open(encoding="utf-8") as handle:
        return Spec(json.load(handle))


def _fields(raw_fields: list[dict[str, Any]]) -> dict[str, FieldSpec]:
    return {
        f["name"]: FieldSpec(f["name"], tuple(f["types"]), bool(f["required"])) for f in raw_fields
    }


def _blank(value: Any) -> bool:
    # Telegram treats an empty form value like an absent one.
    return value is None or (isinstance(value, str) and value == "")


def _as_error(exc: _Mismatch) -> ApiError:
    if "." in exc.path or "[" in exc.path:
        root = re.split(r"[.\[]", exc.path, maxsplit=1)[0]
        return bad_request(f'can\'t parse {root}: field "{exc.path}" {exc.problem}')
    return bad_request(f'parameter "{exc.path}" {exc.problem}')


def _json_if_text(value: Any, path: str) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            raise _Mismatch(path, "is not valid JSON") from None
    return value


def _integer(value: Any, path: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INT_RE.match(value.strip()):
        return int(value)
    raise _Mismatch(path, "must be of type Integer")


def _float(value: Any, path: str) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    raise _Mismatch(path, "must be of type Float")


def _boolean(value: Any, path: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value in _TRUE:
        return True
    if isinstance(value, str) and value in _FALSE:
        return False
    raise _Mismatch(path, "must be of type Boolean")


__all__ = ["SPEC_PATH", "ApiError", "FieldSpec", "MethodSpec", "Spec", "Upload", "load_spec"]
