# Production image of Imprimatur. One image, four roles (see docker-compose.yml):
#   api      imprimatur serve --host 0.0.0.0 --port 8000   (the default CMD)
#   migrate  imprimatur db upgrade
#   worker   celery -A service.celery_app worker
#   beat     celery -A service.celery_app beat              (exactly one)
#
# Layout: the dependencies live in the venv /opt/venv; the project itself is NOT pip-installed.
# Its source sits in /app exactly as in the repository (/app/service, /app/alembic,
# /app/alembic.ini, ...) and PYTHONPATH=/app makes it importable, because
# service/migrations.py finds the migrations at Path(service.__file__).parent.parent /
# "alembic": a wheel install would put `service` in site-packages, where there is no alembic/.
# The `imprimatur` command is a three-line launcher written into the venv below.

# Both stages use the same base, so the venv's interpreter link (/usr/local/bin/python3)
# is valid in the final stage.
ARG PYTHON_IMAGE=python:3.11-slim

# ---------------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN python -m venv /opt/venv

# Every pin in requirements.lock has a hash-checked wheel for CPython 3.11 on manylinux
# (x86_64 and aarch64), so no compiler is needed here either; --only-binary makes the build
# fail rather than silently compile should a pin ever come as an sdist only.
COPY requirements.lock /tmp/requirements.lock
RUN /opt/venv/bin/pip install --require-hashes --only-binary=:all: --no-deps \
        -r /tmp/requirements.lock

# `imprimatur` on PATH: what the [project.scripts] entry point would generate.
RUN printf '%s\n' \
        '#!/opt/venv/bin/python' \
        'from service.cli import app' \
        '' \
        'if __name__ == "__main__":' \
        '    app()' \
        > /opt/venv/bin/imprimatur \
    && chmod 0755 /opt/venv/bin/imprimatur

# ---------------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE}

# No apt packages: the wheels bundle their native libraries (opencv-python-headless needs no
# libGL or GLib), and what they still link from the system (libc, libstdc++, libgcc_s, libz)
# is already in the slim base.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    IMPRIMATUR_MEDIA_DIR=/data/media \
    PYTHONPATH=/app \
    PATH=/opt/venv/bin:$PATH

# A real passwd entry: the CLI records `cli:<user>` in the audit trail (getpass.getuser()).
RUN groupadd --system --gid 10001 imprimatur \
    && useradd --system --uid 10001 --gid imprimatur --home-dir /home/imprimatur \
        --create-home --shell /usr/sbin/nologin imprimatur \
    && mkdir -p /data/media \
    && chown -R imprimatur:imprimatur /data

COPY --from=builder /opt/venv /opt/venv

WORKDIR /app
COPY alembic.ini pyproject.toml ./
COPY alembic/ alembic/
COPY workflows/ workflows/
COPY connectors/ connectors/
COPY service/ service/
# Bytecode once, at build time (PYTHONDONTWRITEBYTECODE stops runtime writes; /app is read-only
# to the service user anyway).
RUN python -m compileall -q alembic workflows connectors service

USER 10001:10001

# Uploaded media (IMPRIMATUR_MEDIA_DIR); shared by the api and the workers.
VOLUME ["/data"]
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

CMD ["imprimatur", "serve", "--host", "0.0.0.0", "--port", "8000"]
