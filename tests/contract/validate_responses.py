"""Checks every response the end-to-end suite saw against openapi.yaml.

The harness (tests/src/response_log.rs) writes one JSON line per response:
{"method", "path", "status", "headers", "body"}. For each one this finds the operation
(method + path template, a literal segment beating a {param} as in API Gateway) and
fails unless the status is documented for it, the body matches that response's schema
(formats included) and its required headers are present and well-formed. A request to a
route the spec does not have must get API Gateway's 404 in the error shape.

Usage: validate_responses.py OPENAPI_YAML LOG_OR_DIR... (a directory: its *.jsonl); exits 1
listing every violation, and when no response was recorded at all.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_URI = "urn:crabcart:openapi"
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    pointer: str
    definition: dict

    @property
    def segments(self) -> list[str]:
        return self.template.strip("/").split("/")

    def match(self, path: str) -> bool:
        parts = unquote(path).rstrip("/").strip("/").split("/")
        if len(parts) != len(self.segments):
            return False
        return all(
            (seg.startswith("{") and part) or seg == part
            for seg, part in zip(self.segments, parts)
        )

    def rank(self) -> list[int]:
        return [2 if seg.startswith("{") else 3 for seg in self.segments]


def escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


class Contract:
    def __init__(self, spec: dict):
        self.spec = spec
        self.registry = Registry().with_resource(
            SPEC_URI, Resource(contents=spec, specification=DRAFT202012)
        )
        self.operations = [
            Operation(method, template, f"/paths/{escape(template)}/{method}", item[method])
            for template, item in spec["paths"].items()
            for method in METHODS
            if method in item
        ]
        self._validators: dict[str, Draft202012Validator] = {}

    def resolve(self, node: dict, pointer: str = "") -> tuple[dict, str]:
        """Follows `$ref`s: the node they lead to, and its JSON pointer in the spec."""
        while "$ref" in node:
            pointer = node["$ref"].removeprefix("#")
            node = self.registry.resolver(SPEC_URI).lookup(SPEC_URI + node["$ref"]).contents
        return node, pointer

    def validator(self, pointer: str) -> Draft202012Validator:
        if pointer not in self._validators:
            self._validators[pointer] = Draft202012Validator(
                {"$ref": f"{SPEC_URI}#{pointer}"},
                registry=self.registry,
                format_checker=Draft202012Validator.FORMAT_CHECKER,
            )
        return self._validators[pointer]

    def operation(self, method: str, path: str) -> Operation | None:
        # As API Gateway routes: the most specific resource path first, then the method.
        resources = [op for op in self.operations if op.match(path)]
        if not resources:
            return None
        best = max(op.rank() for op in resources)
        return next(
            (op for op in resources if op.rank() == best and op.method == method.lower()), None
        )

    def check(self, record: dict) -> list[str]:
        method, path, status = record["method"], record["path"], record["status"]
        operation = self.operation(method, path)
        if operation is None:
            return self.check_unrouted(record)
        responses = operation.definition.get("responses", {})
        key = next(
            (k for k in (str(status), f"{str(status)[0]}XX", "default") if k in responses), None
        )
        label = f"{method} {operation.template}"
        if key is None:
            return [f"{label}: status {status} is not documented"]
        response, pointer = self.resolve(responses[key], f"{operation.pointer}/responses/{key}")
        problems = self.check_headers(label, status, response, record["headers"])
        content = response.get("content")
        body = record["body"]
        if not content:
            if body:
                problems.append(f"{label} -> {status}: documented without a body, got {body[:200]!r}")
            return problems
        media = "application/json"
        if media not in content:
            return problems + [f"{label} -> {status}: no {media} content documented"]
        content_type = record["headers"].get("content-type", "")
        if content_type.split(";")[0].strip().lower() != media:
            problems.append(f"{label} -> {status}: content-type {content_type!r}, documented {media}")
        try:
            document = json.loads(body)
        except ValueError:
            return problems + [f"{label} -> {status}: body is not JSON: {body[:200]!r}"]
        schema_pointer = f"{pointer}/content/{escape(media)}/schema"
        for error in self.validator(schema_pointer).iter_errors(document):
            where = "/".join(str(p) for p in error.absolute_path) or "(body)"
            problems.append(f"{label} -> {status}: {where}: {error.message[:300]}")
        return problems

    def check_headers(self, label, status, response, headers) -> list[str]:
        problems = []
        for name, header in response.get("headers", {}).items():
            header, _ = self.resolve(header)
            value = headers.get(name.lower())
            if value is None:
                if header.get("required"):
                    problems.append(f"{label} -> {status}: required header {name} is missing")
                continue
            schema = header.get("schema", {})
            for error in Draft202012Validator(schema, registry=self.registry).iter_errors(value):
                problems.append(f"{label} -> {status}: header {name}: {error.message}")
        return problems

    def check_unrouted(self, record: dict) -> list[str]:
        label = f"{record['method']} {record['path']} (no such operation)"
        if record["status"] != 404:
            return [f"{label}: expected API Gateway's 404, got {record['status']}"]
        try:
            document = json.loads(record["body"])
        except ValueError:
            return [f"{label}: body is not JSON"]
        validator = self.validator("/components/schemas/Error")
        return [f"{label}: {e.message[:300]}" for e in validator.iter_errors(document)]


def main(argv: list[str]) -> int:
    if len(argv) < 3:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    contract = Contract(yaml.safe_load(Path(argv[1]).read_text()))
    checked: Counter[str] = Counter()
    violations: list[str] = []
    logs = [
        log
        for arg in map(Path, argv[2:])
        for log in (sorted(arg.glob("*.jsonl")) if arg.is_dir() else [arg] if arg.exists() else [])
    ]
    for log in logs:
        for number, line in enumerate(log.read_text().splitlines(), start=1):
            record = json.loads(line)
            operation = contract.operation(record["method"], record["path"])
            checked[operation.definition["operationId"] if operation else "(no such operation)"] += 1
            violations += [f"{log.name}:{number}: {p}" for p in contract.check(record)]
    total = sum(checked.values())
    if total == 0:
        print("no responses were recorded: the end-to-end suite did not run, or did not log", file=sys.stderr)
        return 1
    documented = sum(1 for op in contract.operations)
    seen = sum(1 for op in contract.operations if checked[op.definition["operationId"]])
    print(f"checked {total} responses against {argv[1]}: {seen} of {documented} operations seen")
    for name, count in sorted(checked.items()):
        print(f"  {name}: {count}")
    if violations:
        print(f"{len(violations)} responses break the contract:", file=sys.stderr)
        for v in violations:
            print(f"  {v}", file=sys.stderr)
        return 1
    print("every response matches the contract")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
