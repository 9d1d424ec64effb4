"""gunicorn settings used by `make run` and the documented deployment."""
import os

bind = os.environ.get("GUNICORN_BIND", f"127.0.0.1:{os.environ.get('PORT', '5000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = 30
accesslog = "-"
# No client address (%(h)s) and no query strings beyond the path: signers' IPs stay out of logs.
access_log_format = '%(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
# gunicorn 24+ opens a control socket at one fixed path per user; several instances on one
# machine (the tests, the benchmark) would fight over it, and nothing here uses it.
control_socket_disable = True
