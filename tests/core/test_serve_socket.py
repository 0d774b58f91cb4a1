"""`ipeval serve --workers N` listens on a socket whose connections get TCP_NODELAY.

uvicorn binds the workers' shared socket with ``proto`` 0, so asyncio leaves Nagle's
algorithm on for every connection it accepts there, and each keep-alive response waits some
40 ms for the client's delayed ACK (measured by bench/api.py: the trivial endpoint's p50 was
44 ms with two workers against 3 ms with one). ``TcpConfig`` names the protocol.
"""

from __future__ import annotations

import asyncio
import socket
from concurrent.futures import ThreadPoolExecutor

from app.cli.serve import TcpConfig


async def _nodelay_of_accepted(listener: socket.socket) -> int:
    seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    class Probe(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            sock = transport.get_extra_info("socket")
            seen.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    server = await asyncio.get_running_loop().create_server(Probe, sock=listener)
    port = listener.getsockname()[1]
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        return await asyncio.wait_for(seen, 5)
    finally:
        writer.close()
        server.close()
        await server.wait_closed()


def test_the_workers_socket_is_tcp_so_connections_get_nodelay():
    config = TcpConfig(lambda: None, host="127.0.0.1", port=0, workers=2)
    listener = config.bind_socket()
    assert (listener.family, listener.proto) == (socket.AF_INET, socket.IPPROTO_TCP)
    assert listener.get_inheritable()  # the workers receive it
    # on a thread of its own: an event loop of another test may be running on this one
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(asyncio.run, _nodelay_of_accepted(listener)).result() != 0
