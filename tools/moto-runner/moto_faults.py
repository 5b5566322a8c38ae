"""The fault switch of the local cloud: make DynamoDB, DynamoDB Streams, SNS or SQS fail or
time out on demand, as AWS does when a service is unavailable, so tests can show what
crabcart does then (503 with Retry-After, retries, nothing lost).

Control endpoint, on the moto port (a path no AWS API uses):

    POST   /_crabcart/faults        a JSON rule (below); 201 with the rule and its id
    GET    /_crabcart/faults        {"rules": [...], "injected": <faults since start>}
    DELETE /_crabcart/faults        clears every rule; 200 with the cleared rules
    DELETE /_crabcart/faults/<id>   clears one rule; 404 when unknown

A rule:

    {"service": "dynamodb" | "dynamodbstreams" | "sns" | "sqs",
     "operations": ["TransactWriteItems", ...],   # optional: X-Amz-Target suffix or Action
     "resource": "<text the request body holds>", # optional: a table name, queue URL, topic ARN
     "mode": "error" | "timeout",
     "status": 500 | 503,                         # optional, default 503
     "delay_ms": 30000,                           # timeout mode: how long a request is held
     "after": 0,                                  # optional: matching requests let through first
     "count": 3,                                  # optional: faults to inject, then spent
     "duration_ms": 10000}                        # optional: the rule expires after this long

`error` answers at once with the service's own error shape: for the JSON protocols
(DynamoDB, Streams, SQS) a `__type` body, for SNS's query protocol an `ErrorResponse` XML
document; 503 is `ServiceUnavailable`, 500 is `InternalServerError` (DynamoDB) or
`InternalError` (SNS, SQS). `timeout` holds the request for `delay_ms` (longer than the
client's timeout) and then answers the same error; the request never reaches moto, so a
timed-out write is not applied. Clearing a rule releases the requests it holds.

The devstack's own pollers read DynamoDB Streams and SQS: a `dynamodb` rule does not touch
them (Streams is its own service here), and `operations` or `resource` scope an `sqs` rule
away from them. Rules are matched in the order they were added; the first that applies
decides. Each rule reports how many requests it `matched` and how many it faulted (`hits`).

The moto runner runs this file and moto_launcher.py as one script: names here must not
clash with the launcher's.
"""

import io
import json
import threading
import time
import urllib.parse
import uuid

FAULTS_PATH = "/_crabcart/faults"

# X-Amz-Target prefixes of the JSON-protocol services; the rest is told by the SigV4
# credential scope (`Credential=<key>/<date>/<region>/<service>/aws4_request`).
TARGET_SERVICES = {
    "DynamoDB_20120810": "dynamodb",
    "DynamoDBStreams_20120810": "dynamodbstreams",
    "AmazonSQS": "sqs",
}
FAULT_SERVICES = ("dynamodb", "dynamodbstreams", "sns", "sqs")
MODES = ("error", "timeout")
RULE_FIELDS = {
    "service",
    "operations",
    "resource",
    "mode",
    "status",
    "delay_ms",
    "after",
    "count",
    "duration_ms",
}
DEFAULT_DELAY_MS = 30_000
MAX_DELAY_MS = 300_000
JSON_ERROR_NAMESPACES = {
    "dynamodb": "com.amazonaws.dynamodb.v20120810",
    "dynamodbstreams": "com.amazonaws.dynamodb.v20120810",
    "sqs": "com.amazonaws.sqs",
}


class RuleError(ValueError):
    """A rule the switch refuses (answered 400)."""


class Rule:
    """One fault rule and its counters."""

    def __init__(self, spec):
        if not isinstance(spec, dict):
            raise RuleError("a rule is a JSON object")
        unknown = set(spec) - RULE_FIELDS
        if unknown:
            raise RuleError(f"unknown fields: {sorted(unknown)}")
        self.service = spec.get("service")
        if self.service not in FAULT_SERVICES:
            raise RuleError(f"service must be one of {list(FAULT_SERVICES)}")
        self.mode = spec.get("mode")
        if self.mode not in MODES:
            raise RuleError(f"mode must be one of {list(MODES)}")
        operations = spec.get("operations")
        if operations is not None and (
            not isinstance(operations, list)
            or not all(isinstance(o, str) and o for o in operations)
        ):
            raise RuleError("operations must be a list of operation names")
        self.operations = operations
        self.resource = spec.get("resource")
        if self.resource is not None and (
            not isinstance(self.resource, str) or not self.resource
        ):
            raise RuleError("resource must be a non-empty string")
        self.status = spec.get("status", 503)
        if self.status not in (500, 503):
            raise RuleError("status must be 500 or 503")
        self.delay_ms = whole(spec, "delay_ms", DEFAULT_DELAY_MS, 0, MAX_DELAY_MS)
        self.after = whole(spec, "after", 0, 0, None)
        self.count = whole(spec, "count", None, 1, None)
        self.duration_ms = whole(spec, "duration_ms", None, 1, None)
        self.id = uuid.uuid4().hex
        self.added = time.monotonic()
        self.matched = 0
        self.hits = 0
        # Set when the rule is cleared: held requests stop waiting.
        self.cleared = threading.Event()

    def expired(self, now):
        return self.duration_ms is not None and (now - self.added) * 1000 >= self.duration_ms

    def spent(self):
        return self.count is not None and self.hits >= self.count

    def applies(self, service, operation, body):
        if service != self.service:
            return False
        if self.operations is not None and operation not in self.operations:
            return False
        return self.resource is None or self.resource in body

    def view(self):
        return {
            "id": self.id,
            "service": self.service,
            "operations": self.operations,
            "resource": self.resource,
            "mode": self.mode,
            "status": self.status,
            "delay_ms": self.delay_ms,
            "after": self.after,
            "count": self.count,
            "duration_ms": self.duration_ms,
            "matched": self.matched,
            "hits": self.hits,
            "active": not (self.spent() or self.expired(time.monotonic())),
        }


def whole(spec, name, default, low, high):
    value = spec.get(name, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise RuleError(f"{name} must be an integer")
    if value < low or (high is not None and value > high):
        raise RuleError(f"{name} is out of range")
    return value


class FaultSwitch:
    """The rules, shared by every request thread."""

    def __init__(self):
        self.lock = threading.Lock()
        self.rules = []
        self.injected = 0

    def add(self, rule):
        with self.lock:
            self.rules.append(rule)

    def clear(self, rule_id=None):
        with self.lock:
            cleared = [r for r in self.rules if rule_id in (None, r.id)]
            self.rules = [r for r in self.rules if r not in cleared]
        for rule in cleared:
            rule.cleared.set()
        return cleared

    def active(self):
        with self.lock:
            return bool(self.rules)

    def decide(self, service, operation, body):
        """The rule that faults this request, counted, or None."""
        now = time.monotonic()
        with self.lock:
            for rule in self.rules:
                if rule.spent() or rule.expired(now):
                    continue
                if not rule.applies(service, operation, body):
                    continue
                rule.matched += 1
                if rule.matched <= rule.after:
                    return None
                rule.hits += 1
                self.injected += 1
                return rule
        return None

    def snapshot(self):
        with self.lock:
            return {"rules": [r.view() for r in self.rules], "injected": self.injected}


def service_of(environ):
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    prefix, _, operation = target.partition(".")
    if prefix in TARGET_SERVICES:
        return TARGET_SERVICES[prefix], operation
    scope = environ.get("HTTP_AUTHORIZATION", "").split("Credential=", 1)[-1]
    parts = scope.split(",", 1)[0].split("/")
    service = parts[3].lower() if len(parts) == 5 else None
    return service, None


def read_body(environ):
    """The request body, put back so moto can read it too."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    stream = environ["wsgi.input"]
    if length > 0:
        body = stream.read(length)
    elif environ.get("wsgi.input_terminated"):
        body = stream.read()
    else:
        body = b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return body.decode("utf-8", "replace")


def query_action(environ, body):
    """The Action of a query-protocol request (SNS), from the form body or the URL."""
    for source in (body, environ.get("QUERY_STRING", "")):
        action = urllib.parse.parse_qs(source).get("Action")
        if action:
            return action[0]
    return None


def error_response(rule, service, operation):
    """Status, headers and body of the error AWS answers when `service` is unavailable."""
    request_id = str(uuid.uuid4())
    unavailable = rule.status == 503
    message = f"crabcart fault injection: {service} {operation or ''} unavailable".strip()
    status = "503 Service Unavailable" if unavailable else "500 Internal Server Error"
    if service == "sns":
        code = "ServiceUnavailable" if unavailable else "InternalError"
        body = (
            '<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">'
            f"<Error><Type>Receiver</Type><Code>{code}</Code><Message>{message}</Message>"
            f"</Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        )
        headers = [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)]
        return status, headers, body.encode()
    if unavailable:
        code = "ServiceUnavailable"
    else:
        code = "InternalServerError" if service.startswith("dynamodb") else "InternalError"
    body = json.dumps({"__type": f"{JSON_ERROR_NAMESPACES[service]}#{code}", "message": message})
    headers = [
        ("Content-Type", "application/x-amz-json-1.0"),
        ("x-amzn-RequestId", request_id),
    ]
    if service == "sqs":
        # SQS's JSON protocol carries the query-protocol code here as well.
        headers.append(("x-amzn-query-error", f"{code};Receiver"))
    return status, headers, body.encode()


def control(switch, environ, start_response):
    """The control endpoint."""
    method = environ.get("REQUEST_METHOD", "GET")
    rest = environ.get("PATH_INFO", "")[len(FAULTS_PATH):].strip("/")

    def answer(status, payload):
        body = json.dumps(payload).encode()
        start_response(status, [("Content-Type", "application/json")])
        return [body]

    if method == "POST" and not rest:
        try:
            rule = Rule(json.loads(read_body(environ) or "null"))
        except (RuleError, json.JSONDecodeError) as e:
            return answer("400 Bad Request", {"error": str(e)})
        switch.add(rule)
        return answer("201 Created", rule.view())
    if method == "GET" and not rest:
        return answer("200 OK", switch.snapshot())
    if method == "DELETE":
        cleared = switch.clear(rest or None)
        if rest and not cleared:
            return answer("404 Not Found", {"error": f"no rule {rest}"})
        return answer("200 OK", {"cleared": [r.view() for r in cleared]})
    return answer("405 Method Not Allowed", {"error": f"{method} is not supported here"})


def fault_switch(inner):
    """Wraps moto's WSGI app with the control endpoint and the rules it sets."""
    switch = FaultSwitch()

    def app(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == FAULTS_PATH or path.startswith(FAULTS_PATH + "/"):
            return control(switch, environ, start_response)
        if not switch.active():
            return inner(environ, start_response)
        service, operation = service_of(environ)
        if service not in FAULT_SERVICES:
            return inner(environ, start_response)
        body = read_body(environ)
        if operation is None:
            operation = query_action(environ, body)
        searchable = body + "\n" + urllib.parse.unquote_plus(body)
        rule = switch.decide(service, operation, searchable)
        if rule is None:
            return inner(environ, start_response)
        if rule.mode == "timeout":
            # Held on this request's own thread: nothing else waits behind it (the
            # DynamoDB lock is taken inside, by requests that get through).
            rule.cleared.wait(rule.delay_ms / 1000)
        status, headers, body = error_response(rule, service, operation)
        start_response(status, headers)
        return [body]

    return app
