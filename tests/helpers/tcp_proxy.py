"""A TCP proxy the test controls, to cut a service off from its broker without touching the broker."""

import socket

import eventlet
from eventlet.green import socket as green_socket


class TcpProxy:
    """Forwards ``127.0.0.1:<port>`` to ``target``. ``cut()`` closes every connection and refuses
    new ones; ``restore()`` accepts again on the same port."""

    def __init__(self, target_host, target_port):
        self.target = (target_host, target_port)
        self.port = _free_port()
        self._server = None
        self._acceptor = None
        self._pipes = set()
        self._sockets = set()
        self.restore()

    def proxied(self, uri):
        """``uri`` pointed at the proxy instead of the target."""
        return uri.replace(f":{self.target[1]}/", f":{self.port}/")

    def restore(self):
        server = green_socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", self.port))
        server.listen(50)
        self._server = server
        self._acceptor = eventlet.spawn(self._accept, server)

    def cut(self):
        self._acceptor.kill()
        self._server.close()
        for pipe in list(self._pipes):
            pipe.kill()
        for sock in list(self._sockets):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        self._pipes.clear()
        self._sockets.clear()

    def close(self):
        self.cut()

    def _accept(self, server):
        while True:
            client, _ = server.accept()
            upstream = green_socket.create_connection(self.target)
            self._sockets.update((client, upstream))
            self._pipes.add(eventlet.spawn(self._pipe, client, upstream))
            self._pipes.add(eventlet.spawn(self._pipe, upstream, client))

    def _pipe(self, source, sink):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.close()
                except OSError:
                    pass


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
