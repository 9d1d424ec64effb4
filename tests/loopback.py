"""What the loopback stand-ins for outside services share: a threaded HTTP server on a free
port of 127.0.0.1 (HTTPS when given a TLS context, as the real services speak), started at
once and stopped by ``stop``, and a quiet request handler."""
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class LoopbackServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, handler, tls=None):
        super().__init__(("127.0.0.1", 0), handler)
        self.scheme = "https" if tls else "http"
        if tls:
            self.socket = tls.wrap_socket(self.socket, server_side=True)
        self.thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return f"{self.scheme}://127.0.0.1:{self.server_port}"

    def stop(self):
        self.shutdown()
        self.server_close()
        self.thread.join(timeout=5)


class QuietHandler(BaseHTTPRequestHandler):
    # Keep-alive, as the real services speak it: the service's pooled connections are reused
    # instead of each verify or API call opening a new one (every answer has a Content-Length).
    protocol_version = "HTTP/1.1"
    # Headers and body are two writes: on a kept-alive connection, Nagle's algorithm would hold
    # the body back until the client's delayed ACK of the headers, some 40 ms per answer.
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def send_body(self, status, data, content_type, headers=()):
        """Answer ``data`` (bytes); a client that stopped waiting is no error here."""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        try:
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the service gave up waiting, as a slow-server test wants it to
