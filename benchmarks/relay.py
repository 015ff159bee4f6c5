"""
A latency-injecting TCP relay on loopback, for the benchmarks (these kernels have no `tc netem`).

Every chunk of bytes is held back by RTT/2 in each direction before it is passed on, in order, so
a request/answer exchange costs one RTT. The relay accepts the client's TCP connection itself,
so the TCP handshake is not delayed: a benchmark counts it separately.

    python benchmarks/relay.py --listen 127.0.0.1:0 --upstream 127.0.0.1:9200 --rtt-ms 100

benchmarks/stack.py runs each relay as a process of its own (`relay_process`), so that the relay's
CPU does not queue behind the stand-in servers' under one GIL: on a real network the delay costs
the servers nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import subprocess
import sys
import threading
from typing import Iterator, Optional, Set, Tuple


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float) -> None:
    """Copy reader to writer, each chunk delivered *delay* seconds after it arrived, in order."""
    loop = asyncio.get_running_loop()
    queue: "asyncio.Queue[tuple[float, bytes]]" = asyncio.Queue()

    async def deliver() -> None:
        # One sender per direction: timers alone could fire two chunks due at the same instant
        # out of order (the timer heap is not stable), and split a ClientHello the wrong way round.
        while True:
            due, data = await queue.get()
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if not data:
                _close(writer)
                return
            writer.write(data)

    sender = asyncio.ensure_future(deliver())
    try:
        while True:
            data = await reader.read(65536)
            queue.put_nowait((loop.time() + delay, data))
            if not data:
                break
    except (ConnectionError, OSError):
        queue.put_nowait((loop.time() + delay, b""))
    await sender


def _close(writer: asyncio.StreamWriter) -> None:
    try:
        if writer.can_write_eof():
            writer.write_eof()
    except (OSError, RuntimeError):
        writer.close()


class Relay:
    """``with Relay(upstream_port, rtt) as relay:`` listens on 127.0.0.1:relay.port in a thread."""

    def __init__(self, upstream: Tuple[str, int], rtt: float, listen: Tuple[str, int] = ("127.0.0.1", 0)) -> None:
        self.upstream, self.rtt, self.listen = upstream, rtt, listen
        self.port = 0
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        # The event loop holds its tasks weakly: a relayed connection whose sockets went quiet would
        # otherwise be collected mid-way ("Task was destroyed but it is pending!") and never finish.
        self._connections: Set["asyncio.Task[None]"] = set()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
            task.add_done_callback(self._connections.discard)
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.close()
            return
        half = self.rtt / 2
        await asyncio.gather(_pipe(reader, up_writer, half), _pipe(up_reader, writer, half))

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        server = self._loop.run_until_complete(asyncio.start_server(self._handle, *self.listen, backlog=1024))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    def __enter__(self) -> "Relay":
        self._thread.start()
        self._ready.wait(5)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(2)


@contextlib.contextmanager
def relay_process(upstream_port: int, rtt: float) -> Iterator[int]:
    """This script in a process of its own, relaying to 127.0.0.1:*upstream_port*; yields its port.

    The child serves until its standard input closes, so it ends with its parent however that ends.
    """
    args = [sys.executable, __file__, "--upstream", f"127.0.0.1:{upstream_port}", "--rtt-ms", str(rtt * 1000),
            "--until-stdin-closes"]
    process = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline() if process.stdout else ""
        yield int(line.split()[1].rsplit(":", 1)[1])
    finally:
        if process.stdin:
            process.stdin.close()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listen", default="127.0.0.1:0")
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--rtt-ms", type=float, default=100.0)
    parser.add_argument("--until-stdin-closes", action="store_true", help="serve until standard input closes")
    args = parser.parse_args()
    host, port = args.upstream.rsplit(":", 1)
    lhost, lport = args.listen.rsplit(":", 1)
    with Relay((host, int(port)), args.rtt_ms / 1000, (lhost, int(lport))) as relay:
        print(f"relay 127.0.0.1:{relay.port} -> {args.upstream}, RTT {args.rtt_ms:g} ms", flush=True)
        try:
            if args.until_stdin_closes:
                sys.stdin.read()
                # The parent is done with it: leave at once, rather than have the interpreter's exit
                # complain on stderr about every relayed connection's task still pending.
                os._exit(0)
            else:
                threading.Event().wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
