# SPDX-License-Identifier: GPL-2.0-or-later
"""Long-lived flows through the HA pair, for tests/e2e/test_keepalived_ha_flows.py
(standard library only; run with /usr/bin/python3 in a lab namespace).

    haflows.py server TCP_PORT,... UDP_PORT,...
        echo every byte (TCP) and every datagram (UDP) back, on 0.0.0.0
    haflows.py client VIP SPEC... [--probe PORT]
        SPEC = tcp:PORT:N:LABEL or udp:PORT:N:LABEL: N flows to VIP:PORT,
        each sending one byte (one datagram) every 100 ms and expecting
        it back.  --probe PORT opens a new TCP connection to VIP:PORT
        every 100 ms (the service for new clients).  Prints {"ready": T}
        once every flow got its first echo, runs until stdin closes, then
        prints the result as one JSON line.

Times are time.monotonic() (CLOCK_MONOTONIC: the same clock as the test
process's).  Result: {"flows": [{"label", "proto", "error", "error_t",
"first_rx", "last_rx", "gaps": [[start, seconds], ...]}],
"probe_ok": [t, ...], "probe_fail": N}; gaps are the silences over
0.3 s between two echoes of a flow.
"""

import asyncio
import json
import socket
import sys
import time

TICK = 0.1
GAP = 0.3


# ------------------------------------------------------------------ server

class EchoUDP(asyncio.DatagramProtocol):
    def connection_made(self, transport):
        self.t = transport

    def datagram_received(self, data, addr):
        self.t.sendto(data, addr)


async def echo_tcp(reader, writer):
    try:
        while True:
            data = await reader.read(4096)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except OSError:
        pass
    finally:
        writer.close()


async def server(tcp_ports, udp_ports):
    loop = asyncio.get_running_loop()
    for p in tcp_ports:
        await asyncio.start_server(echo_tcp, "0.0.0.0", p, reuse_address=True,
                                   backlog=1024)
    for p in udp_ports:
        await loop.create_datagram_endpoint(EchoUDP, local_addr=("0.0.0.0", p))
    print("serving", flush=True)
    await asyncio.Event().wait()


# ------------------------------------------------------------------ client

class Flow:
    def __init__(self, label, proto):
        self.label, self.proto = label, proto
        self.error = self.error_t = self.first_rx = self.last_rx = None
        self.gaps = []

    def rx(self):
        now = time.monotonic()
        if self.last_rx is not None and now - self.last_rx > GAP:
            self.gaps.append([self.last_rx, now - self.last_rx])
        if self.first_rx is None:
            self.first_rx = now
        self.last_rx = now

    def fail(self, why):
        if self.error is None:
            self.error, self.error_t = why, time.monotonic()

    def json(self):
        return {"label": self.label, "proto": self.proto, "error": self.error,
                "error_t": self.error_t, "first_rx": self.first_rx,
                "last_rx": self.last_rx, "gaps": self.gaps}


async def tcp_flow(flow, vip, port, stop):
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(vip, port), 5)
    except (OSError, asyncio.TimeoutError) as e:
        flow.fail(f"connect: {e!r}")
        return

    async def rx():
        while True:
            data = await reader.read(64)
            if not data:
                flow.fail("closed by the peer")
                return
            for _ in data:
                flow.rx()

    rx_task = asyncio.ensure_future(rx())
    try:
        while not stop.is_set() and flow.error is None:
            writer.write(b"x")
            await writer.drain()
            try:
                await asyncio.wait_for(stop.wait(), TICK)
            except asyncio.TimeoutError:
                pass
    except OSError as e:
        flow.fail(f"send: {e!r}")
    finally:
        rx_task.cancel()
        try:
            await rx_task
        except (asyncio.CancelledError, OSError) as e:
            if isinstance(e, OSError):
                flow.fail(f"recv: {e!r}")
        writer.close()


class UdpFlow(asyncio.DatagramProtocol):
    def __init__(self, flow):
        self.flow = flow

    def datagram_received(self, data, addr):
        self.flow.rx()

    def error_received(self, exc):
        pass    # ICMP errors: the datagrams just do not come back


async def udp_flow(flow, vip, port, stop):
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(
        lambda: UdpFlow(flow), remote_addr=(vip, port))
    try:
        while not stop.is_set():
            transport.sendto(b"u")
            try:
                await asyncio.wait_for(stop.wait(), TICK)
            except asyncio.TimeoutError:
                pass
    finally:
        transport.close()


async def probe(vip, port, stop, ok, failed):
    while not stop.is_set():
        t0 = time.monotonic()
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(vip, port), 0.5)
            writer.write(b"p")
            await asyncio.wait_for(reader.readexactly(1), 0.5)
            writer.close()
            ok.append(time.monotonic())
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError):
            failed[0] += 1
        await asyncio.sleep(max(0.0, TICK - (time.monotonic() - t0)))


async def client(vip, specs, probe_port):
    stop = asyncio.Event()
    flows, tasks = [], []
    for spec in specs:
        proto, port, n, label = spec.split(":")
        for _ in range(int(n)):
            f = Flow(label, proto)
            flows.append(f)
            fn = tcp_flow if proto == "tcp" else udp_flow
            tasks.append(asyncio.ensure_future(fn(f, vip, int(port), stop)))
            await asyncio.sleep(0.005)      # not all SYNs at once
    ok, failed = [], [0]
    if probe_port:
        tasks.append(asyncio.ensure_future(probe(vip, probe_port, stop, ok,
                                                 failed)))
    end = time.monotonic() + 20
    while time.monotonic() < end and not all(f.first_rx or f.error
                                             for f in flows):
        await asyncio.sleep(0.05)
    print(json.dumps({"ready": time.monotonic(),
                      "waiting": [f.json() for f in flows
                                  if not f.first_rx]}), flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)    # until stdin closes
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    print(json.dumps({"flows": [f.json() for f in flows], "probe_ok": ok,
                      "probe_fail": failed[0]}), flush=True)


def main(argv):
    if len(argv) < 3:
        raise SystemExit(__doc__)
    if argv[1] == "server":
        tcp = [int(p) for p in argv[2].split(",") if p]
        udp = [int(p) for p in argv[3].split(",") if p]
        asyncio.run(server(tcp, udp))
    elif argv[1] == "client":
        args, probe_port = argv[3:], 0
        if "--probe" in args:
            i = args.index("--probe")
            probe_port = int(args[i + 1])
            del args[i:i + 2]
        asyncio.run(client(argv[2], args, probe_port))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    socket.setdefaulttimeout(5)
    main(sys.argv)
