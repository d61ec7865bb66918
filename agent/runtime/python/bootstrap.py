# esb's Lambda runtime interface client for python3.x runtimes. Standard library only
# (PyPI is not reachable here), small, fast to start.
#   AWS_LAMBDA_RUNTIME_API=host:port  _HANDLER=pkg/module.function  LAMBDA_TASK_ROOT=/var/task
# Usage: python3 bootstrap.py [handler]   (an argument overrides _HANDLER, like AWS base images)
import _json
import _socket
import importlib
import os
import sys
import time

BASE = "/2018-06-01/runtime"
NEXT = BASE + "/invocation/next"


class LambdaContext:
    __slots__ = (
        "aws_request_id", "invoked_function_arn", "function_name", "function_version",
        "memory_limit_in_mb", "log_group_name", "log_stream_name", "client_context",
        "identity", "_deadline_ms",
    )

    def __init__(self, headers):
        env = os.environ
        self.aws_request_id = headers.get("lambda-runtime-aws-request-id")
        self.invoked_function_arn = headers.get("lambda-runtime-invoked-function-arn")
        self.function_name = env.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = env.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.log_group_name = env.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = env.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self._deadline_ms = int(headers.get("lambda-runtime-deadline-ms") or 0)
        self.client_context = _json_or_none(headers.get("lambda-runtime-client-context"))
        self.identity = _json_or_none(headers.get("lambda-runtime-cognito-identity"))

    def get_remaining_time_in_millis(self):
        return max(0, self._deadline_ms - int(time.time() * 1000))


def _json_or_none(value):
    if not value:
        return None
    try:
        return json_loads(value)
    except ValueError:
        return None


# json.loads/json.dumps straight on the C accelerator _json, which the json module uses for
# these calls anyway: `import json` pulls in re and enum, ~15 ms of every cold start (a handler
# that imports json pays it itself). Anything unusual falls back to the json module, so its
# results and errors are json's own.
class _ScanContext:
    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = {"-Infinity": float("-inf"), "Infinity": float("inf"), "NaN": float("nan")}.__getitem__


_WS = " \t\n\r"
try:
    _scan_once = _json.make_scanner(_ScanContext())
except Exception:  # an interpreter without the accelerator
    _scan_once = None


def json_loads(data):
    if _scan_once is not None:
        try:
            s = data.decode("utf-8") if isinstance(data, (bytes, bytearray)) else data
            start = len(s) - len(s.lstrip(_WS))
            obj, end = _scan_once(s, start)
            if not s[end:].strip(_WS):
                return obj
        except Exception:
            pass
    import json

    return json.loads(data)


def _not_serializable(o):
    raise TypeError("Object of type %s is not JSON serializable" % o.__class__.__name__)


def json_dumps(obj, ascii=True):
    """JSON text; `ascii=False` keeps non-ASCII characters as they are (Lambda's JSON log lines)."""
    text = _json.encode_basestring_ascii if ascii else _json.encode_basestring
    if isinstance(obj, str):
        return text(obj)
    try:
        # A new encoder per call, as json does: its markers (circular check) are per call.
        encode = _json.make_encoder({}, _not_serializable, text, None, ": ", ", ", False, False, True)
    except Exception:
        import json

        return json.dumps(obj, ensure_ascii=ascii)
    return "".join(encode(obj, 0))


class Client:
    """A minimal keep-alive HTTP/1.1 client for the Runtime API on _socket (http.client pulls in
    email and ssl, socket enum and selectors: tens of ms of every cold start)."""

    def __init__(self, address, secret=None):
        host, _, port = address.rpartition(":")
        self.addr = (host.strip("[]"), int(port))
        self.sock = None
        self.buf = b""
        # The instance's Runtime API secret (process runtime), sent with every request.
        self.extra = "\r\nX-Esb-Runtime-Secret: " + secret if secret else ""

    def _connect(self):
        err = None
        # Host names as bytes: a str is encoded with the "idna" codec, whose import (re,
        # stringprep) costs ~14 ms of a cold start.
        host = self.addr[0].encode("ascii")
        for family, kind, proto, _, sockaddr in _socket.getaddrinfo(host, self.addr[1], 0, _socket.SOCK_STREAM):
            sock = _socket.socket(family, kind, proto)
            try:
                sock.connect((sockaddr[0].encode("ascii"),) + sockaddr[1:])
            except OSError as exc:
                sock.close()
                err = exc
                continue
            sock.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY, 1)
            self.sock = sock
            self.buf = b""
            return
        raise err or OSError("cannot resolve %s" % self.addr[0])

    def _fill(self):
        chunk = self.sock.recv(262144)
        if not chunk:
            raise ConnectionError("the Runtime API closed the connection")
        self.buf += chunk

    def _request(self, method, path, body=None, headers=None):
        if isinstance(body, str):
            body = body.encode("utf-8")
        lines = ["%s %s HTTP/1.1" % (method, path), "Host: runtime" + self.extra]
        if headers:
            for k, v in headers.items():
                lines.append("%s: %s" % (k, v))
        if body is not None or method == "POST":
            lines.append("Content-Length: %d" % len(body or b""))
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")

    def call(self, method, path, body=None, headers=None):
        if self.sock is None:
            self._connect()
        self.sock.sendall(self._request(method, path, body, headers))
        return self._response()

    def post_then_next(self, path, body, headers):
        """POST a result and GET the next event in one write (the Runtime API answers both in
        one write too); returns the answer to the GET. A failed POST is logged, not fatal."""
        if self.sock is None:
            self._connect()
        self.sock.sendall(self._request("POST", path, body, headers) + self._request("GET", NEXT))
        status, _, data = self._response()
        if not 200 <= status < 300:
            sys.stderr.write("bootstrap: %s answered %d: %s\n" % (path, status, data[:500].decode("utf-8", "replace")))
            sys.stderr.flush()
        if self.sock is None:  # the POST's answer closed the connection: the GET went nowhere
            return self.call("GET", NEXT)
        return self._response()

    def _response(self):
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end >= 0:
                break
            self._fill()
        head = self.buf[:end].decode("latin-1").split("\r\n")
        self.buf = self.buf[end + 4:]
        status = int(head[0].split(" ", 2)[1])
        hdrs = {}
        for line in head[1:]:
            k, _, v = line.partition(":")
            hdrs[k.strip().lower()] = v.strip()
        if "chunked" in hdrs.get("transfer-encoding", ""):
            data = b""
            while True:
                while b"\r\n" not in self.buf:
                    self._fill()
                size_line, _, self.buf = self.buf.partition(b"\r\n")
                size = int(size_line.split(b";")[0], 16)
                while len(self.buf) < size + 2:
                    self._fill()
                data += self.buf[:size]
                self.buf = self.buf[size + 2:]
                if size == 0:
                    break
        else:
            n = int(hdrs.get("content-length", "0"))
            while len(self.buf) < n:
                self._fill()
            data = self.buf[:n]
            self.buf = self.buf[n:]
        if hdrs.get("connection", "").lower() == "close":
            self.sock.close()
            self.sock = None
        return status, hdrs, data


# Half the agent's 10 ms: its clock for the event starts when it sends it, before this one.
RECALL_AFTER_US = 5000


class ChannelClient:
    """The instance channel (process runtime, docs/agent.md#the-instance-channel): a socket pair
    on an inherited fd that only this process holds, carrying length-prefixed frames
    (u32 length | u8 kind | u32 meta length | meta | body) instead of HTTP. Same calls as Client."""

    def __init__(self, fd):
        os.set_inheritable(fd, False)
        self.sock = _socket.socket(fileno=fd)
        self.buf = b""
        self.event_at = time.perf_counter()
        # EVENT frames already read, queued behind the running one (docs/agent.md#queued-in-the-instance).
        self.events = []

    def _send(self, kind, meta, body=b""):
        if isinstance(body, str):
            body = body.encode("utf-8")
        meta = meta.encode("utf-8")
        head = (5 + len(meta) + len(body)).to_bytes(4, "big") + bytes((kind,)) + len(meta).to_bytes(4, "big")
        self.sock.sendall(head + meta + body)

    def _buffered_frame(self):
        """The next whole frame already read (kind, meta, body), else None."""
        buf = self.buf
        if len(buf) >= 9:
            length = int.from_bytes(buf[0:4], "big")
            if len(buf) >= 4 + length:
                meta_end = 9 + int.from_bytes(buf[5:9], "big")
                self.buf = buf[4 + length:]
                return buf[4], buf[9:meta_end].decode("utf-8"), buf[meta_end:4 + length]
        return None

    def _frame(self):
        """The next whole frame (kind, meta, body); None when the agent closed the channel."""
        while True:
            frame = self._buffered_frame()
            if frame is not None:
                return frame
            chunk = self.sock.recv(262144)
            if not chunk:
                return None
            self.buf += chunk

    def _recalls(self):
        """Before a result goes out: reads what the agent has sent meanwhile, without waiting; an
        EVENT is kept for later, a RECALL drops its queued event and is confirmed (RECALLED)."""
        try:
            while True:
                chunk = self.sock.recv(262144, _socket.MSG_DONTWAIT)
                if not chunk:
                    break
                self.buf += chunk
        except (BlockingIOError, InterruptedError):
            pass
        while True:
            frame = self._buffered_frame()
            if frame is None:
                return
            kind, meta, body = frame
            if kind == 0x45:
                self.events.append(frame)
            elif kind == 0x43:  # RECALL
                kept = [e for e in self.events if e[1].split("\0", 1)[0] != meta]
                if len(kept) < len(self.events):
                    self.events = kept
                    self._send(0x42, meta)

    def _event(self):
        while True:
            frame = self.events.pop(0) if self.events else self._frame()
            if frame is None:
                raise ConnectionError("the agent closed the instance channel")
            kind, meta, body = frame
            if kind == 0x45:  # EVENT (the agent may queue some behind the current: docs/agent.md#queued-in-the-instance)
                self.event_at = time.perf_counter()
                headers = _event_headers(meta)
                if meta.endswith("\x001"):
                    # Queued behind another for a function that prints: mark where this event's
                    # output starts (OUTPUT_MARK in agent/src/instance-channel.ts).
                    mark = ("\x1eesb-event %s\n" % headers.get("lambda-runtime-aws-request-id", "")).encode("utf-8")
                    sys.stdout.flush()
                    sys.stderr.flush()
                    os.write(1, mark)
                    os.write(2, mark)
                # The frame carries the time limit in ms; the deadline counts from taking the event.
                headers["lambda-runtime-deadline-ms"] = str(int(time.time() * 1000) + int(headers.get("lambda-runtime-deadline-ms") or 0))
                return 200, headers, body

    def become_instance(self):
        """A spare runtime (docs/agent.md#spare-runtimes): waits for the agent's ASSIGN frame, then
        takes the instance's environment wholesale, its working folder and module search paths,
        as if started for it. Returns the Runtime API secret."""
        frame = self._frame()
        if frame is None:  # the agent closed the channel before it needed this spare
            os._exit(0)
        kind, _, body = frame
        if kind != 0x41:
            raise RuntimeError("a spare runtime got frame %d before its assignment" % kind)
        assignment = json_loads(body)
        os.environ.clear()
        os.environ.update(assignment["env"])
        if assignment.get("cwd"):
            os.chdir(assignment["cwd"])
        time.tzset()
        # PYTHONPATH's folders come right after the script's, as at start-up.
        extra = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
        sys.path[1:1] = [os.path.abspath(p) for p in extra if os.path.abspath(p) not in sys.path]
        return assignment.get("secret")

    def call(self, method, path, body=None, headers=None):
        if method == "GET":  # the first invocation/next
            self._send(0x4E, "")
            return self._event()
        self._send(0x49, (headers or {}).get("Lambda-Runtime-Function-Error-Type", ""), body or b"")  # init error
        return 202, {}, b""

    def post_then_next(self, path, body, headers):
        request_id, what = path.rsplit("/", 2)[-2:]
        # The time from the event to its result goes along (us): the instance's own work, for
        # the agent's instance policy (docs/agent.md#instance-policy).
        us = round((time.perf_counter() - self.event_at) * 1e6)
        took = "\0%d" % us
        # The agent recalls only behind an event that has run 10 ms (docs/agent.md#queued-in-the-instance):
        # a shorter one spares the read.
        if us >= RECALL_AFTER_US:
            self._recalls()
        if what == "response":
            self._send(0x52, request_id + took, body)
        else:
            self._send(0x46, request_id + "\0" + headers.get("Lambda-Runtime-Function-Error-Type", "") + took, body)
        return self._event()


_EVENT_HEADERS = (
    "lambda-runtime-aws-request-id", "lambda-runtime-deadline-ms", "lambda-runtime-invoked-function-arn",
    "lambda-runtime-trace-id", "lambda-runtime-client-context", "lambda-runtime-cognito-identity",
)


def _event_headers(meta):
    return {k: v for k, v in zip(_EVENT_HEADERS, meta.split("\0")) if v}


def error_doc(exc, error_type=None):
    traceback = _traceback()
    tb = traceback.extract_tb(exc.__traceback__)
    # The trace starts at the handler's code: this file's frames above it are left out, as Lambda's runtime does.
    while tb and tb[0].filename == __file__ and len(tb) > 1:
        tb = tb[1:]
    return {
        "errorMessage": str(exc),
        "errorType": error_type or type(exc).__name__,
        "requestId": "",
        "stackTrace": traceback.format_list(tb),
    }


def load_handler(root, spec):
    module_path, _, fn_name = spec.rpartition(".")
    if not module_path or not fn_name:
        raise _Typed("Runtime.MalformedHandlerName", ValueError("Bad handler '%s': not enough values to unpack" % spec))
    if root not in sys.path:
        sys.path.insert(0, root)
    try:
        module = importlib.import_module(module_path.replace("/", "."))
    except ImportError as exc:
        raise _Typed("Runtime.ImportModuleError", exc, "Unable to import module '%s': %s" % (module_path, exc))
    except SyntaxError as exc:
        raise _Typed("Runtime.UserCodeSyntaxError", exc, "Syntax error in module '%s': %s" % (module_path, exc))
    fn = getattr(module, fn_name, None)
    if fn is None:
        raise _Typed("Runtime.HandlerNotFound", AttributeError(fn_name), "Handler '%s' missing on module '%s'" % (fn_name, module_path))
    return fn


class _Typed(Exception):
    def __init__(self, error_type, cause, message=None):
        super().__init__(message or str(cause))
        self.error_type = error_type
        self.cause = cause


class _AfterImport:
    """Runs `then(module)` right after `name` is first imported, before the importer sees it.
    Costs nothing until then."""

    def __init__(self, name, then):
        self.name = name
        self.then = then

    def find_spec(self, name, path=None, target=None):
        if name != self.name:
            return None
        sys.meta_path.remove(self)
        import importlib.machinery

        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return spec
        exec_module = spec.loader.exec_module

        def patched(module):
            exec_module(module)
            self.then(module)

        spec.loader.exec_module = patched
        return spec


# botocore before 1.31 (Debian bookworm's python3-boto3) ignores AWS_ENDPOINT_URL_<SERVICE>:
# when botocore.client is imported, each client's endpoint_url defaults from the environment
# (_patch_create_client), so that unmodified handler code talks to esb's DynamoDB/S3/SQS/Lambda.


# The variable is named after the service id, which differs from boto3's client name for some.
_ENDPOINT_SUFFIXES = {"events": "EVENTBRIDGE", "dynamodbstreams": "DYNAMODB_STREAMS", "secretsmanager": "SECRETS_MANAGER", "stepfunctions": "SFN"}


def _patch_create_client(module):
    try:
        import botocore

        if tuple(int(x) for x in botocore.__version__.split(".")[:2]) >= (1, 31):
            return
    except Exception:
        pass
    original = module.ClientCreator.create_client

    def create_client(self, service_name, region_name, is_secure=True, endpoint_url=None, *args, **kwargs):
        if endpoint_url is None:
            env = os.environ
            suffix = _ENDPOINT_SUFFIXES.get(service_name) or service_name.upper().replace("-", "_")
            endpoint_url = env.get("AWS_ENDPOINT_URL_" + suffix) or env.get("AWS_ENDPOINT_URL")
        return original(self, service_name, region_name, is_secure, endpoint_url, *args, **kwargs)

    module.ClientCreator.create_client = create_client


# The log lines of Lambda's Python runtime (docs/agent.md, "Log lines"): the root logger gets a
# handler that writes `[LEVEL]<TAB>time<TAB>requestId<TAB>message` (a JSON object when
# AWS_LAMBDA_LOG_FORMAT is JSON) to stdout, one event per record: newlines inside a record are
# written as carriage returns. So `logging.basicConfig()` in a handler does nothing, as on Lambda.
# Installed when `logging` is first imported (a handler that never logs does not pay its ~7 ms).
_request_id = None
_log_json = False
# Lambda's error lines indent stack frames with no-break spaces.
_NBSP = "\u00a0"


def _one_event(text):
    return text.rstrip("\n").replace("\n", "\r") + "\n"


def _setup_logging(logging):
    logging.Formatter.converter = time.gmtime

    class LambdaLoggerHandler(logging.Handler):
        def emit(self, record):
            try:
                sys.stdout.write(_one_event(self.format(record)))
            except Exception:
                self.handleError(record)

    class LambdaLoggerFilter(logging.Filter):
        def filter(self, record):
            record.aws_request_id = _request_id or ""
            return True

    handler = LambdaLoggerHandler()
    if _log_json:
        handler.setFormatter(_json_formatter(logging))
    else:
        handler.setFormatter(logging.Formatter("[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s", "%Y-%m-%dT%H:%M:%S"))
    level = os.environ.get("AWS_LAMBDA_LOG_LEVEL", "").upper()
    level = "DEBUG" if level == "TRACE" else level
    root = logging.getLogger()
    if level in logging._nameToLevel:
        root.setLevel(level)
    handler.addFilter(LambdaLoggerFilter())
    root.addHandler(handler)


# A record's own attributes, left out of its JSON (what `extra=` adds is kept).
_RECORD_FIELDS = {
    "name", "msg", "args", "levelname", "levelno", "pathname", "filename", "module", "exc_info", "exc_text", "stack_info",
    "lineno", "funcName", "created", "msecs", "relativeCreated", "thread", "threadName", "processName", "process",
    "aws_request_id", "taskName",
}


def _json_formatter(logging):
    class JsonFormatter(logging.Formatter):
        def format(self, record):
            record.levelno = min(50, max(0, record.levelno)) // 10 * 10
            record.levelname = logging.getLevelName(record.levelno)
            exc = record.exc_info
            result = {
                "timestamp": self.formatTime(record, "%Y-%m-%dT%H:%M:%SZ"),
                "level": record.levelname,
                "message": record.getMessage(),
                "logger": record.name,
                "stackTrace": _traceback().format_tb(exc[2]) if exc else None,
                "errorType": exc[0].__name__ if exc else None,
                "errorMessage": str(exc[1]) if exc else None,
                "requestId": getattr(record, "aws_request_id", None),
                "location": "%s:%s:%s" % (record.pathname, record.funcName, record.lineno) if exc else None,
            }
            result.update((k, v) for k, v in record.__dict__.items() if k not in _RECORD_FIELDS and k not in result)
            return json_dumps({k: v for k, v in result.items() if v is not None}, ascii=False)

    return JsonFormatter()


def _traceback():
    import traceback  # only on errors: it costs ~10 ms of every cold start

    return traceback


def log_error(doc):
    """An invocation's or the module's error, as Lambda's runtime logs it: one event."""
    if _log_json:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        sys.stdout.write(_one_event(json_dumps({"timestamp": stamp, "log_level": "ERROR", **doc}, ascii=False)))
        return
    head = "[ERROR] " + doc["errorType"] + (": " + doc["errorMessage"] if doc.get("errorMessage") else "")
    lines = [head, "Traceback (most recent call last):"]
    for frame in doc.get("stackTrace") or []:
        for line in frame.splitlines():
            stripped = line.lstrip(" ")
            lines.append(_NBSP * (len(line) - len(stripped)) + stripped)
    sys.stdout.write("\r".join(lines) + "\n")


def _install_host_lookup():
    """Host names that name esb's own endpoints: botocore sends StartSyncExecution to
    `sync-<endpoint host>` (Step Functions serves it on its own host), which names nothing when
    the endpoint is esb's, so `sync-<host of AWS_ENDPOINT_URL_SFN>` looks up that host
    (docs/step-functions.md); a function URL, `<label>.lambda-url.localhost`, looks up the
    gateway's host (AWS_ENDPOINT_URL_LAMBDA), which serves it by that Host (docs/gateway.md)."""
    import socket
    from urllib.parse import urlparse

    endpoint = os.environ.get("AWS_ENDPOINT_URL_SFN") or os.environ.get("AWS_ENDPOINT_URL")
    sfn = urlparse(endpoint).hostname if endpoint else None
    gateway_url = os.environ.get("AWS_ENDPOINT_URL_LAMBDA")
    gateway = urlparse(gateway_url).hostname if gateway_url else None
    if not sfn and not gateway:
        return
    prefixed = ("sync-" + sfn).lower() if sfn else None
    getaddrinfo = socket.getaddrinfo

    def lookup(name, *args, **kwargs):
        if isinstance(name, str):
            lowered = name.lower()
            if lowered == prefixed:
                name = sfn
            elif gateway and lowered.endswith(".lambda-url.localhost"):
                name = gateway
        return getaddrinfo(name, *args, **kwargs)

    socket.getaddrinfo = lookup


def env_from_stdin():
    """A container created ahead by the Docker driver gets what differs per instance
    (AWS_LAMBDA_RUNTIME_API, the log stream) as one JSON line on stdin (ESB_ENV_STDIN=1). The
    process runtime sends the Runtime API secret the same way: returned, kept out of os.environ
    (which child processes inherit)."""
    data = b""
    while not data.endswith(b"\n"):
        chunk = os.read(0, 65536)
        if not chunk:
            break
        data += chunk
    os.environ.pop("ESB_ENV_STDIN", None)
    values = json_loads(data) if data.strip() else {}
    secret = values.pop("ESB_RUNTIME_SECRET", None)
    os.environ.update({str(k): str(v) for k, v in values.items()})
    return secret


def trace_id_setter():
    """Sets _X_AMZN_TRACE_ID in os.environ without the C library (docs/agent.md, "Trace id"):
    glibc's setenv keeps every value it was ever given, so a new trace id per invocation grew
    the runtime by about 110 bytes each. os.environ keeps it for code that reads it; the C
    library's copy is dropped once, so it is never a stale one."""
    environ = os.environ
    data = getattr(environ, "_data", None)
    if not isinstance(data, dict):  # not CPython's os._Environ: the plain way
        def plain(value):
            if value:
                environ["_X_AMZN_TRACE_ID"] = value
            else:
                environ.pop("_X_AMZN_TRACE_ID", None)
        return plain
    key = environ.encodekey("_X_AMZN_TRACE_ID")
    encode = environ.encodevalue
    os.unsetenv("_X_AMZN_TRACE_ID")

    def in_memory(value):
        if value:
            data[key] = encode(value)
        else:
            data.pop(key, None)
    return in_memory


def out_of_memory(exc):
    """An allocation past MemorySize (RLIMIT_DATA): the runtime dies, as Lambda's does."""
    sys.stderr.write("Runtime.OutOfMemory: %s\n" % (exc or "MemoryError"))
    sys.stderr.flush()
    os.kill(os.getpid(), 9)


def main():
    global _request_id, _log_json
    secret = None
    client = None
    if os.environ.get("ESB_SPARE") == "1":
        client = ChannelClient(int(os.environ["ESB_RUNTIME_CHANNEL"]))
        secret = client.become_instance()
    if os.environ.get("ESB_ENV_STDIN") == "1":
        secret = env_from_stdin()
    address = os.environ.get("AWS_LAMBDA_RUNTIME_API")
    if not address:
        sys.stderr.write("bootstrap: AWS_LAMBDA_RUNTIME_API is not set\n")
        sys.exit(1)
    channel = os.environ.pop("ESB_RUNTIME_CHANNEL", None)
    if client is None:
        client = ChannelClient(int(channel)) if channel else Client(address, secret)
    _log_json = os.environ.get("AWS_LAMBDA_LOG_FORMAT", "").upper() == "JSON"
    if "logging" in sys.modules:
        _setup_logging(sys.modules["logging"])
    else:
        sys.meta_path.insert(0, _AfterImport("logging", _setup_logging))
    if any(k.startswith("AWS_ENDPOINT_URL") for k in os.environ):
        sys.meta_path.insert(0, _AfterImport("botocore.client", _patch_create_client))
        _install_host_lookup()
    root = os.environ.get("LAMBDA_TASK_ROOT") or os.getcwd()
    spec = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("_HANDLER", "")
    try:
        handler = load_handler(root, spec)
    except Exception as exc:  # init error: reported once, then the instance exits
        if isinstance(exc, _Typed):
            doc = error_doc(exc.cause, exc.error_type)
            doc["errorMessage"] = str(exc)
        else:
            doc = error_doc(exc)
        log_error(doc)
        client.call("POST", BASE + "/init/error", json_dumps(doc),
                    {"Content-Type": "application/json", "Lambda-Runtime-Function-Error-Type": doc["errorType"]})
        sys.exit(1)

    set_trace_id = trace_id_setter()
    status, headers, body = client.call("GET", NEXT)
    while True:
        if status != 200:
            raise RuntimeError("invocation/next answered %d" % status)
        request_id = headers.get("lambda-runtime-aws-request-id")
        _request_id = request_id
        set_trace_id(headers.get("lambda-runtime-trace-id"))
        try:
            event = json_loads(body) if body else None
            result = handler(event, LambdaContext(headers))
            out = json_dumps(result)
        except Exception as exc:
            if isinstance(exc, MemoryError):
                out_of_memory(exc)
            doc = error_doc(exc)
            doc["requestId"] = request_id
            log_error(doc)
            sys.stdout.flush()
            status, headers, body = client.post_then_next(
                BASE + "/invocation/%s/error" % request_id, json_dumps(doc),
                {"Content-Type": "application/json", "Lambda-Runtime-Function-Error-Type": doc["errorType"]})
            continue
        status, headers, body = client.post_then_next(
            BASE + "/invocation/%s/response" % request_id, out, {"Content-Type": "application/json"})


if __name__ == "__main__":
    main()
