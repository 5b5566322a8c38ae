"""moto server for the crabcart devstack.

Runs the same WSGI app as `moto_server` (DomainDispatcherApplication(create_backend_app)
under werkzeug's threaded server) with one addition: DynamoDB API requests are
serialized behind one lock. moto's backends keep no per-request lock, so two concurrent
conditional writes (or a transaction and a write) can interleave inside moto and both
succeed, which real DynamoDB never allows. DynamoDB and DynamoDB Streams requests take
the lock (a stream reader must not see a transaction half-applied), and so does moto's
dump of every model (/moto-api/data.json); Cognito IdP requests take a lock of their own;
SQS, whose long polls block for up to 20 s, must not queue behind either.

moto makes TransactWriteItems atomic by deep-copying every table it names before writing
and putting the copies back when the transaction is cancelled. That is wrong and slow:
the copy includes the stream shard, so a stream reader (which holds the live shard
through its iterators) reads the cancelled writes as if committed and then never sees
another record of that table; and copying a table of a few hundred items takes 0.5 s
(1.3 s with its stream records), all of it under the lock. Here moto's copies are the
live tables themselves, and a cancelled transaction is undone item by item: the items
it named get their previous versions back and its stream records are cut off.

It also builds the apps of the services crabcart uses before it binds its port. moto
otherwise imports a service on its first request while holding the dispatcher's global
lock, so every request of every service would wait seconds behind that import.

Its SQS reads the clock cheaply. moto asks for the time per message, twice per message
on every receive (is it visible, is it delayed), through a datetime subtraction that costs
microseconds each, inside Python's global lock; at a queue depth of a thousand a receive
took over a second and DynamoDB requests queued behind it. Here SQS's clock is
time.time(), and a queue's visible messages are found with one clock read per receive.

Its DynamoDB and DynamoDB Streams answers write each item's attribute values directly.
moto serializes every answer by walking the service's botocore model, and for each
attribute value it asks an attribute picker for each of the ten members an AttributeValue
may have (S, N, B, ... BOOL), through alias providers: under `make load` that walk was
two fifths of moto's time, more than the DynamoDB operations themselves. moto already
keeps an item's values in their wire form ({"S": "x"}, {"M": {...}}), so here they are
written as the walk would write them (strings as str, binaries base64, maps and lists
member by member) without asking the model; anything of another form takes moto's walk.

Its names are looked up once. For every request moto lists the methods of the service's
handler class (inspect.getmembers, a few hundred members) to see whether one is named
after the action, and moto's SQS converts each of a queue's attribute names from CamelCase
for every message it sends. Both are functions of a class or a string alone, so here
each answer is kept. py-spy's samples of moto holding Python's lock put the two at a
twentieth; moto's CPU per order under `make load` fell by a quarter once they were kept.

Its dispatcher finds a request's service without listing moto's package directory. moto
lists it (an isdir() per service, about 150: 0.9 ms) on every request to see whether the
Host names a service. Here the listing is read once: the package does not change while
the server runs.

And it answers the fault switch of moto_faults.py on /_crabcart/faults, so tests can make
DynamoDB, SNS or SQS fail or time out on demand. The moto runner embeds that file ahead of
this one; run as a file, this one imports it from its own directory.

Usage: python moto_launcher.py <port> [<parent pid>]
The devstack picks the port. With a parent pid the server exits when that process is
gone, so a devstack killed with SIGKILL does not leave moto running.
"""

import copy
import functools
import logging
import os
import signal
import sys
import threading
import time

from werkzeug.serving import run_simple

import moto.backends as moto_backends
import moto.core.responses as moto_responses
import moto.sqs.models as sqs_models
from moto.core.serialize import BaseJSONSerializer
from moto.core.utils import camelcase_to_underscores as moto_camelcase_to_underscores
from moto.core.utils import method_names_from_class as moto_method_names_from_class
from moto.core.utils import unix_time as moto_unix_time
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)

if "fault_switch" not in globals():  # run as a file, not as the runner's embedded script
    from moto_faults import fault_switch

DYNAMODB_LOCK = threading.Lock()
# moto's Cognito user pools are plain dicts too: a sign-in iterating a pool's users while
# a sign-up added one failed with "OrderedDict mutated during iteration" (a 503 to the
# client) once a function could run in several execution environments at once.
COGNITO_LOCK = threading.Lock()

# moto's backend names (moto/backend_index.py) of the AWS APIs the template uses, but
# SQS: with its app built up front, the devstack's SQS poller tests saw visibility
# changes lost (not understood yet; a lazily built SQS app behaves), and it imports fast.
SERVICES = ("cognitoidp", "dynamodb", "dynamodbstreams", "sns")


def item_key(table, op_type, op):
    """The (hash, range) DynamoType key an operation of a transaction writes, if any."""
    attrs = op.get("Item") if op_type == "Put" else op.get("Key")
    try:
        hash_value = DynamoType(attrs[table.hash_key_attr])
        range_value = (
            DynamoType(attrs[table.range_key_attr])
            if table.range_key_attr is not None
            else None
        )
    except (KeyError, TypeError):
        return None  # moto refuses the whole transaction before writing anything
    return hash_value, range_value


def restore_item(table, key, previous):
    hash_value, range_value = key
    if range_value is None:
        if previous is None:
            table.items.pop(hash_value, None)
        else:
            table.items[hash_value] = previous
    elif previous is None:
        table.items.get(hash_value, {}).pop(range_value, None)
    else:
        table.items[hash_value][range_value] = previous


def undo_cancelled_transactions_by_item():
    moto_transact_write_items = DynamoDBBackend.transact_write_items

    def transact_write_items(self, transact_items):
        # Runs under DYNAMODB_LOCK: nothing else changes a table meanwhile, so the
        # previous versions read here are what a cancelled transaction must leave, and
        # every stream record past these lengths is this transaction's.
        journal = []
        for entry in transact_items:
            op_type, op = next(iter(entry.items()))
            table = self.tables.get(op.get("TableName")) if isinstance(op, dict) else None
            key = item_key(table, op_type, op) if table is not None else None
            if key is not None:
                journal.append((table, key, copy.deepcopy(table.get_item(*key))))
        lengths = [
            (table.stream_shard, len(table.stream_shard.items))
            for table in self.tables.values()
            if table.stream_shard is not None
        ]
        Table.__deepcopy__ = lambda table, _memo: table
        try:
            return moto_transact_write_items(self, transact_items)
        except Exception:
            for table, key, previous in journal:
                restore_item(table, key, previous)
            for shard, length in lengths:
                del shard.items[length:]
            raise
        finally:
            del Table.__deepcopy__

    DynamoDBBackend.transact_write_items = transact_write_items


def cheap_sqs_clock():
    """moto's SQS with time.time() for its clock and one clock read per visible scan.

    moto.core.utils.unix_time() builds two datetimes and subtracts them to get what
    time.time() returns; moto's SQS calls it (directly and through unix_time_millis) for
    every message it looks at. Timestamps given explicitly still go through moto's.
    """

    def unix_time(dt=None):
        return time.time() if dt is None else moto_unix_time(dt)

    def unix_time_millis(dt=None):
        return unix_time(dt) * 1000.0

    def visible_messages(queue):
        now = time.time() * 1000.0
        return [
            message
            for message in queue._messages
            if now > message.visible_at and now >= message.delayed_until
        ]

    sqs_models.unix_time = unix_time
    sqs_models.unix_time_millis = unix_time_millis
    sqs_models.Queue.messages = property(visible_messages)


# The members of botocore's AttributeValue shape, in its order (the order moto's walk
# writes them in), and how each is written.
ATTRIBUTE_VALUE_MEMBERS = ("S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL")
ATTRIBUTE_VALUE_KEYS = frozenset(ATTRIBUTE_VALUE_MEMBERS)
WIRE_SERVICES = ("dynamodb", "dynamodbstreams")


class NotWireForm(Exception):
    """A value moto's model walk must serialize."""


def wire_string(value):
    return str(value) if value not in (None, {}, []) else value


def wire_attribute_value(serializer, value):
    """An AttributeValue as moto's JSON walk writes it, for one already in wire form."""
    if type(value) is not dict or not value.keys() <= ATTRIBUTE_VALUE_KEYS:
        raise NotWireForm()
    wire = {}
    for member in ATTRIBUTE_VALUE_MEMBERS:
        v = value.get(member)
        if v is None:
            continue
        if member in ("S", "N"):
            wire[member] = wire_string(v)
        elif member == "B":
            wire[member] = serializer._base64(v)
        elif member in ("SS", "NS"):
            wire[member] = [wire_string(x) for x in v]
        elif member == "BS":
            wire[member] = [serializer._base64(x) for x in v]
        elif member == "M":
            if type(v) is not dict:
                raise NotWireForm()
            wire[member] = {
                k: wire_attribute_value(serializer, x)
                for k, x in v.items()
                if x is not None
            }
        elif member == "L":
            if type(v) is not list:
                raise NotWireForm()
            wire[member] = [
                None if x is None else wire_attribute_value(serializer, x) for x in v
            ]
        else:  # NULL and BOOL: booleans, written as they are
            wire[member] = v
    return wire


def attribute_values_written_directly():
    moto_structure = BaseJSONSerializer._serialize_type_structure

    def serialize_structure(self, serialized, value, shape, key):
        if (
            key
            and shape.name == "AttributeValue"
            and self.service_model.service_name in WIRE_SERVICES
        ):
            try:
                wire = wire_attribute_value(self, value)
            except NotWireForm:
                pass
            else:
                serialized[self.get_serialized_name(shape, key)] = wire
                return
        moto_structure(self, serialized, value, shape, key)

    BaseJSONSerializer._serialize_type_structure = serialize_structure


def names_looked_up_once():
    """moto's action lookup and name conversions, each answer computed once.

    moto.core.responses and moto.sqs.models bound both functions at import, so the
    memoized ones replace those bindings. The method names become a frozenset, which the
    one caller only tests for membership.
    """
    method_names = functools.lru_cache(maxsize=None)(
        lambda clazz: frozenset(moto_method_names_from_class(clazz))
    )
    snake_case = functools.lru_cache(maxsize=4096)(moto_camelcase_to_underscores)
    moto_responses.method_names_from_class = method_names
    moto_responses.camelcase_to_underscores = snake_case
    sqs_models.camelcase_to_underscores = snake_case


def module_list_read_once():
    """moto.backends.list_of_moto_modules() as a tuple read on the first call.

    The dispatcher calls it through the module (`backends.list_of_moto_modules()`) for
    every request and only tests membership, which a tuple answers alike.
    """
    modules = tuple(moto_backends.list_of_moto_modules())
    moto_backends.list_of_moto_modules = lambda: modules


def serialize_dynamodb(inner):
    def app(environ, start_response):
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        # moto's /moto-api/data.json (every model, as tests read SES's sent mail) checks
        # each attribute serializes, then serializes them all: a table written between the
        # two (a new key in its items) made the whole answer a 500.
        reads_models = environ.get("PATH_INFO", "").startswith("/moto-api/data.json")
        if target.startswith("AWSCognitoIdentityProviderService."):
            lock = COGNITO_LOCK
        elif target.startswith(("DynamoDB_", "DynamoDBStreams_")) or reads_models:
            lock = DYNAMODB_LOCK
        else:
            return inner(environ, start_response)
        with lock:
            captured = []

            def capture(status, headers, exc_info=None):
                captured.append((status, headers, exc_info))
                return lambda _data: None

            result = inner(environ, capture)
            # The body iterable may be lazy: drain it inside the lock so the whole
            # request, not just its start, is atomic.
            try:
                body = [chunk for chunk in result]
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        status, headers, exc_info = captured[-1]
        start_response(status, headers, exc_info)
        return body

    return app


def exit_with_parent(parent_pid):
    while True:
        time.sleep(1)
        try:
            os.kill(parent_pid, 0)
        except ProcessLookupError:
            os._exit(0)
        except PermissionError:
            pass
        if os.getppid() != parent_pid:
            os._exit(0)


def main():
    if len(sys.argv) < 2:
        sys.stderr.write("usage: moto_launcher.py <port> [<parent pid>]\n")
        sys.exit(2)
    port = int(sys.argv[1])
    if len(sys.argv) > 2:
        threading.Thread(
            target=exit_with_parent, args=(int(sys.argv[2]),), daemon=True
        ).start()

    os.environ.setdefault("MOTO_PORT", str(port))
    # One log line per request would drown the devstack's own output.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(0))

    undo_cancelled_transactions_by_item()
    cheap_sqs_clock()
    names_looked_up_once()
    module_list_read_once()
    attribute_values_written_directly()
    app = DomainDispatcherApplication(create_backend_app)
    for service in SERVICES:
        app.app_instances[service] = create_backend_app(service)
    run_simple(
        "127.0.0.1",
        port,
        # Outermost: a held (timeout) request must not hold the DynamoDB lock.
        fault_switch(serialize_dynamodb(app)),
        threaded=True,
        request_handler=MotoRequestHandler,
    )


if __name__ == "__main__":
    main()
