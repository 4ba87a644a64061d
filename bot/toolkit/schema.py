"""``soudan schema [--write DIR]``: JSON Schemas of flows, the directory and transcripts.

The schemas are generated from the pydantic models (:class:`bot.engine.flow.Flow`, a list of
:class:`bot.contacts.model.Contact`, :class:`bot.toolkit.transcripts.Transcript`), so editors
check exactly what the loaders accept. The shipped YAML files start with a comment that points
editors with the YAML language server (VS Code "YAML" extension and others) at them::

    # yaml-language-server: $schema=../schema/flow.schema.json          (flows/*.yaml)
    # yaml-language-server: $schema=../schema/directory.schema.json     (directory/*.yaml)
    # yaml-language-server: $schema=../../schema/transcript.schema.json (flows/tests/*.yaml)

``schema/*.schema.json`` are committed; a test checks they equal this generator's output, so
after changing a model run ``soudan schema --write schema/``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from bot.contacts.model import Contact
from bot.engine.flow import Flow
from bot.i18n import _to_map
from bot.toolkit.transcripts import Transcript

__all__ = ["FILES", "TEXT_SCHEMA", "SoudanSchema", "all_schemas", "main", "render", "write"]

DRAFT = "https://json-schema.org/draft/2020-12/schema"

TEXT_SCHEMA: dict[str, Any] = {
    "description": "Text in Japanese (\"はい\"), or in several languages ({ja: はい, en: \"Yes\"}); ja is required.",
    "anyOf": [
        {"type": "string"},
        {
            "type": "object",
            "properties": {"ja": {"type": "string"}, "en": {"type": "string"}},
            "required": ["ja"],
            "additionalProperties": False,
        },
    ],
}
"""The schema of a localised :data:`bot.i18n.Text` (a string or ``{ja, en}``)."""

_MARK = "x-soudan-text"

FILES = {"flow": "flow.schema.json", "directory": "directory.schema.json", "transcript": "transcript.schema.json"}
"""Schema name → file name written by ``--write``."""


class SoudanSchema(GenerateJsonSchema):
    """Pydantic's generator, but a localised ``Text`` is "a string or {ja, en}".

    ``Text`` is validated by a before-validator that turns a plain string into ``{"ja": ...}``;
    without this, the schema would describe only the mapping and editors would flag every plain
    Japanese string.
    """

    def function_before_schema(self, schema: core_schema.BeforeValidatorFunctionSchema) -> JsonSchemaValue:
        """A ``Text`` becomes :data:`TEXT_SCHEMA` (moved to ``$defs`` later); everything else as pydantic does it."""
        if schema["function"].get("function") is _to_map:
            return {**TEXT_SCHEMA, _MARK: True}
        return super().function_before_schema(schema)


def _use_text_ref(node: Any) -> Any:
    """``node`` with every inline ``Text`` schema replaced by ``{"$ref": "#/$defs/Text"}``
    (keeping the field's own keys such as ``title`` and ``default``)."""
    if isinstance(node, dict) and node.get(_MARK):
        return {"$ref": "#/$defs/Text", **{k: v for k, v in node.items() if k not in TEXT_SCHEMA and k != _MARK}}
    if isinstance(node, dict):
        return {k: _use_text_ref(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_use_text_ref(v) for v in node]
    return node


def _finish(schema: dict[str, Any], title: str, description: str) -> dict[str, Any]:
    out: dict[str, Any] = {"$schema": DRAFT, "title": title, "description": description}
    body = _use_text_ref({k: v for k, v in schema.items() if k not in ("title", "description")})
    if "#/$defs/Text" in json.dumps(body):
        body.setdefault("$defs", {})["Text"] = dict(TEXT_SCHEMA)
    out.update(body)
    return out


def all_schemas() -> dict[str, dict[str, Any]]:
    """``{"flow": …, "directory": …, "transcript": …}``, each a complete JSON Schema."""
    flow = Flow.model_json_schema(schema_generator=SoudanSchema)
    directory = TypeAdapter(list[Contact]).json_schema(schema_generator=SoudanSchema)
    transcript = Transcript.model_json_schema(schema_generator=SoudanSchema)
    return {
        "flow": _finish(flow, "soudan flow (flows/*.yaml)",
                        "A screening flow: ask / say / refer states. See docs/writing-flows.md."),
        "directory": _finish(directory, "soudan directory file (directory/*.yaml)",
                             "A list of consultation windows. See docs/writing-flows.md."),
        "transcript": _finish(transcript, "soudan transcript (flows/tests/*.yaml)",
                              "A test conversation run by `soudan test`. See docs/writing-flows.md."),
    }


def render(schema: dict[str, Any]) -> str:
    """The text of a schema file (stable: sorted keys, 2-space indent, UTF-8, final newline)."""
    return json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def write(folder: str | Path) -> list[Path]:
    """Write the three schema files into ``folder`` (created if needed); returns their paths."""
    d = Path(folder)
    d.mkdir(parents=True, exist_ok=True)
    out = []
    for name, schema in all_schemas().items():
        p = d / FILES[name]
        p.write_text(render(schema), encoding="utf-8")
        out.append(p)
    return out


def main(args: argparse.Namespace) -> int:
    """Print the combined schema, or write the files with ``--write DIR``."""
    folder = getattr(args, "write", None)
    if folder:
        for p in write(folder):
            print(f"wrote {p}")
        return 0
    print(render(all_schemas()), end="")
    return 0
