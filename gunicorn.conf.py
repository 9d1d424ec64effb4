"""gunicorn settings used by `make run` and the documented deployment."""
import os

from gunicorn.glogging import Logger

from widget_service.log_privacy import install as private_logs, mask

bind = os.environ.get("GUNICORN_BIND", f"127.0.0.1:{os.environ.get('PORT', '5000')}")
# The app is CPU-bound Python: processes use the cores, a few threads per process cover the
# waits on PostgreSQL and Redis. Two processes per core with two threads each measured best
# on the 2-core benchmark machine (signing 523-530/s, against 450-470/s with 2x4 or 3x4).
workers = int(os.environ.get("WEB_CONCURRENCY", str(2 * (os.cpu_count() or 1))))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
timeout = 30
accesslog = "-"
# No client address (%(h)s) and no query strings beyond the path: signers' IPs stay out of logs.
access_log_format = '%(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'


class PrivateLogger(Logger):
    """Logs without the secret part of a path (an unsubscribe or confirmation link's token is the
    key to a subscription, however the path is spelled: ``//unsubscribe/...``, percent-encoded)
    and without a client's IP address, in the access log and in gunicorn's error log, which
    quotes request lines ("Invalid request from ip=...: Invalid Request Line ...").

    It works out only the atoms ``access_log_format`` above uses (any other prints "-"):
    gunicorn's own ``atoms`` also makes one per request header, response header and environ
    entry on every request: about 2% of the workers' CPU when signing."""

    def setup(self, cfg):
        super().setup(cfg)
        private_logs(self.error_log)

    def atoms(self, resp, req, environ, request_time):
        status = resp.status
        return {
            "t": self.now(),
            "m": environ.get("REQUEST_METHOD"),
            "U": mask(environ.get("PATH_INFO", "")),
            "s": status.split(None, 1)[0] if isinstance(status, str) else status,
            "B": getattr(resp, "sent", None),
            "M": request_time.seconds * 1000 + request_time.microseconds // 1000,
        }


logger_class = PrivateLogger
# gunicorn 24+ opens a control socket at one fixed path per user; several instances on one
# machine (the tests, the benchmark) would fight over it, and nothing here uses it.
control_socket_disable = True
