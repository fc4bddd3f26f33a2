# SPDX-License-Identifier: GPL-2.0-or-later
"""A small client of dplbd's control socket for tests (stdlib only).

    with Ctl("/tmp/x/dplbd.sock") as c:
        r = c.call("hello")            # the whole reply dict
        ports = c.result("port.list")  # the result, CtlError on failure

Raw helpers (send_raw, recv_line, recv_reply, recv_all) serve tests of
malformed input.  call() opens the connection again when dplbd closed it
for idleness (global.control_idle_timeout), as any long-lived client
must.  See docs/control-protocol.md.
"""

import itertools
import json
import select
import socket
import time


class CtlError(Exception):
    """An error reply: .code ("EEXIST"), .errno, .message, .reply."""

    def __init__(self, reply):
        err = reply.get("error") or {}
        self.reply = reply
        self.code = err.get("code")
        self.errno = err.get("errno")
        self.message = err.get("message")
        super().__init__(f"{self.message} ({self.code})")


class Ctl:
    def __init__(self, path, timeout=10.0):
        self.path = str(path)
        self.timeout = timeout
        self._ids = itertools.count(1)
        self._buf = b""
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        try:
            self.sock.connect(self.path)
        except OSError:
            self.sock.close()
            raise

    # -- context manager ------------------------------------------------
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    # -- requests -------------------------------------------------------
    def request_line(self, method, params=None, id=None):
        req = {"id": next(self._ids) if id is None else id, "method": method}
        if params is not None:
            req["params"] = params
        return (json.dumps(req, separators=(",", ":")) + "\n").encode()

    def closed_by_server(self):
        """Whether dplbd closed this connection while nothing was asked
        (it closes clients idle for control_idle_timeout without a lease,
        after one unsolicited line): EOF or that line is waiting."""
        if self._buf:
            return False
        p = select.poll()
        p.register(self.sock, select.POLLIN)
        # readable with nothing asked: EOF, a reset, or a line nobody
        # asked for (dplbd's last word before the close)
        return bool(p.poll(0))

    def reconnect(self):
        self.close()
        self._buf = b""
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)

    def call(self, method, params=None, id=None):
        """Send one request and return the parsed reply dict.  A
        connection dplbd closed as idle is opened again first."""
        if self.sock is not None and self.closed_by_server():
            self.reconnect()
        line = self.request_line(method, params, id)
        want = json.loads(line)["id"]
        self.send_raw(line)
        reply = self.recv_reply()
        if reply is None:
            raise ConnectionError(f"{self.path}: closed by dplbd")
        if reply.get("id") != want:
            raise AssertionError(f"reply id {reply.get('id')!r} for request "
                                 f"id {want!r}: {reply}")
        return reply

    def result(self, method, params=None):
        """call() and return the result; raise CtlError on an error."""
        reply = self.call(method, params)
        if not reply.get("ok"):
            raise CtlError(reply)
        return reply["result"]

    def error(self, method, params=None):
        """call() expecting an error; returns the error object."""
        reply = self.call(method, params)
        if reply.get("ok"):
            raise AssertionError(f"{method} {params} succeeded: {reply}")
        return reply["error"]

    def keep_only(self, services, groups):
        """Delete every service whose key (proto, vip, port) is not in
        services and every laddr group not named in groups: back to a
        config's state between tests."""
        for s in self.result("service.list"):
            key = {k: s[k] for k in ("proto", "vip", "port")}
            if key not in services:
                self.result("service.del", key)
        for g in self.result("laddr.list"):
            if g["group"] not in groups:
                self.result("laddr.del", {"group": g["group"]})

    # -- raw I/O --------------------------------------------------------
    def send_raw(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def recv_line(self, timeout=None):
        """The next line without its newline (bytes); None at EOF.
        socket.timeout when nothing complete arrives in time."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout(f"{self.path}: no reply line")
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                chunk = b""
            finally:
                if self.sock is not None:
                    self.sock.settimeout(self.timeout)
            if not chunk:
                return None
            self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        return line

    def recv_reply(self, timeout=None):
        """The next reply as a dict; None at EOF."""
        line = self.recv_line(timeout)
        return None if line is None else json.loads(line)

    def recv_replies(self, n, timeout=None):
        out = []
        for _ in range(n):
            r = self.recv_reply(timeout)
            if r is None:
                raise ConnectionError(f"EOF after {len(out)} of {n} replies")
            out.append(r)
        return out

    def recv_all(self, timeout=None):
        """Every remaining reply until the server closes the connection."""
        out = []
        while True:
            r = self.recv_reply(timeout)
            if r is None:
                return out
            out.append(r)
