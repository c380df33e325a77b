# One image for every service; the compose file picks the command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY shared ./shared
COPY services ./services
COPY cli ./cli
COPY examples ./examples
RUN pip install . \
 && useradd --system --uid 10001 --home-dir /app measures \
 && mkdir -p /app/var && chown measures /app/var

USER measures
# Overridden per service in docker-compose.yml.
CMD ["python", "-m", "services.measures"]
