"""The channel between the cogts server and this worker (the Python side of runtime/protocol/protocol.ts and
channel.ts): newline-delimited JSON on the socket at fd 3. Everything that knows the wire format is here.

Server → worker: {"type": "predict", "id", "input"?, "inputFile"?, "context"?}, {"type": "cancel", "id"},
{"type": "healthcheck", "requestId"}.
Worker → server: "ready" {hasHealthcheck}, "setup_failed" {error}, "output" {id, value, chunk, files?},
"metric" {id, name, value, mode}, "log" {id, source, data}, "done" {id, status, error?, output?, files?, iterator},
"healthcheck" {requestId, error?}. File outputs travel out of band: a copy or hard link in
``<outputDir>/<output_dir_name(id)>/<n>/<name>``, ``null`` at their place in the value, and ``files`` listing the
places ({"at": [keys and indices], "name": "<n>/<name>"}).
"""
import hashlib
import json
import os
import socket
import threading
from typing import Any, Callable, Dict, Optional

Message = Dict[str, Any]


def output_dir_name(prediction_id: str) -> str:
    """The directory of one prediction's output files under outputDir (same name as the server computes)."""
    return hashlib.sha256(prediction_id.encode("utf-8")).hexdigest()[:32]


def encode(message: Message) -> bytes:
    return (json.dumps(message, ensure_ascii=False, separators=(",", ":"), allow_nan=False) + "\n").encode("utf-8")


class Channel:
    """Messages over fd 3. ``send`` is safe from any thread; ``serve`` reads on a thread of its own and calls
    ``on_message`` for each message, then ``on_close`` when the server goes away."""

    def __init__(self, fd: int = 3) -> None:
        self._sock = socket.socket(fileno=fd)
        self._sock.setblocking(True)
        self._lock = threading.Lock()

    def send(self, message: Message) -> None:
        data = encode(message)
        with self._lock:
            self._sock.sendall(data)

    def serve(self, on_message: Callable[[Message], None], on_close: Callable[[], None]) -> threading.Thread:
        def read() -> None:
            buffered = b""
            try:
                while True:
                    chunk = self._sock.recv(1 << 16)
                    if not chunk:
                        break
                    buffered += chunk
                    while True:
                        end = buffered.find(b"\n")
                        if end < 0:
                            break
                        line, buffered = buffered[:end], buffered[end + 1:]
                        on_message(json.loads(line))
            except OSError:
                pass
            on_close()

        thread = threading.Thread(target=read, name="cogts-channel", daemon=True)
        thread.start()
        return thread


def done(prediction_id: str, status: str, error: Optional[str], output: Any, files: Any, iterator: bool) -> Message:
    message: Message = {"type": "done", "id": prediction_id, "status": status, "iterator": iterator}
    if error is not None:
        message["error"] = error
    if status == "succeeded":
        if output is not None or not iterator:
            message["output"] = output
        if files:
            message["files"] = files
    return message
