# One image for every service and tool (the command picks: medins-settlement, medins-admin...), for
# users with Docker (docker-compose.yml). Two stages: the first builds the project and its pinned
# runtime dependencies into a virtualenv; the second holds that virtualenv alone and runs as a user
# without privileges. No test or development tool is installed.
FROM python:3.11.7-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/medins
WORKDIR /src
COPY pyproject.toml README.md requirements.txt requirements-dev.txt constraints.txt ./
COPY libs ./libs
COPY services ./services
# `-c constraints.txt`: the exact versions the tests ran with, transitive ones too.
RUN /opt/medins/bin/pip install -c constraints.txt .

FROM python:3.11.7-slim-bookworm
RUN useradd --system --uid 10001 --user-group --no-create-home --shell /usr/sbin/nologin medins
COPY --from=build /opt/medins /opt/medins
ENV PATH=/opt/medins/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
USER medins:medins
WORKDIR /tmp
CMD ["medins-settlement", "--help"]
