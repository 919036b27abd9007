"""gunicorn settings for 随州水务 供水信用管理系统 (`gunicorn -c deploy/gunicorn.conf.py`).

Every value can be changed by the environment (the systemd unit reads /etc/suizhou-credit/env).
Long work never runs in a request (rating runs, pledge batches, platform batches and imports are
Celery jobs), so the request timeout only has to fit the slowest page or streamed export.
"""

import multiprocessing
import os

wsgi_app = "suizhou_credit.wsgi:application"
# Behind nginx on the same machine; a unix socket also works: GUNICORN_BIND=unix:/run/suizhou-credit/web.sock
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", min(2 * multiprocessing.cpu_count() + 1, 9)))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = 30
keepalive = 5
# A worker is replaced after this many requests (bounds the memory a long-lived process may collect).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "1000"))
max_requests_jitter = 100
# Heartbeat files in memory, not on a disk that may stall.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# Trust X-Forwarded-* only from the proxy (settings: SECURE_PROXY_SSL_HEADER reads X-Forwarded-Proto).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
proc_name = "suizhou-credit-web"
