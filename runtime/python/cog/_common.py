"""What the parts of the Python worker share: its options from the server ($COGTS_WORKER_OPTIONS), the message
channel to the server (fd 3, see _protocol.py) and how a failure is told."""
import json
import os
import sys
import traceback
from typing import Any, Dict, Optional

from . import _protocol

options: Dict[str, Any] = json.loads(os.environ.get("COGTS_WORKER_OPTIONS", "{}"))
channel: Optional[_protocol.Channel] = None


def open_channel(fd: int) -> _protocol.Channel:
    global channel
    channel = _protocol.Channel(fd)
    return channel


def send(message: Dict[str, Any]) -> None:
    assert channel is not None, "the worker's channel is opened by main()"
    channel.send(message)


def error_text(error: BaseException) -> str:
    return str(error) or type(error).__name__


def log_stack(error: BaseException) -> None:
    if os.environ.get("COGTS_LOG_STACKS") != "0":
        sys.stderr.write("".join(traceback.format_exception(type(error), error, error.__traceback__)))


def flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
