"""TLS for the local servers: a server-side context, and a mixin for ThreadingHTTPServer that runs each TLS
handshake in the connection's own thread (a stalled client never blocks the accept loop)."""

import logging
import socket
import ssl

log = logging.getLogger("tlsserve")


def server_context(cert: str, key: str, client_ca: str | None = None) -> ssl.SSLContext:
    """A TLS server context for `cert`/`key`; with `client_ca`, client certificates signed by it are asked for."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.set_alpn_protocols(["http/1.1"])
    if client_ca:
        context.load_verify_locations(client_ca)
        context.verify_mode = ssl.CERT_OPTIONAL
    return context


class HandshakeInThread:
    """Mix into a ThreadingHTTPServer (before it) and set `ssl_context`; None serves plain HTTP."""

    ssl_context: ssl.SSLContext | None = None

    def finish_request(self, request, client_address):
        if self.ssl_context is None:
            return super().finish_request(request, client_address)
        request.settimeout(10)
        try:
            tls = self.ssl_context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as e:
            log.debug("TLS handshake with %s failed: %s", client_address, e)
            request.close()
            return None
        try:
            tls.settimeout(None)
            super().finish_request(tls, client_address)
        finally:
            try:
                tls.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            tls.close()
        return None
