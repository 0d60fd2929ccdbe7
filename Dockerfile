# syntax=docker/dockerfile:1
# Multi-stage build: compile in the Rust image, run in a small Debian with libpq only.

FROM rust:1.95-bookworm AS build
WORKDIR /src
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq-dev \
 && rm -rf /var/lib/apt/lists/*
# Dependencies first, so that source changes do not rebuild them.
COPY Cargo.toml Cargo.lock ./
COPY .cargo .cargo
RUN mkdir src && echo 'fn main() {}' > src/main.rs && touch src/lib.rs \
 && cargo build --release --locked \
 && rm -rf src
COPY migrations migrations
COPY calendar calendar
COPY assets assets
COPY src src
RUN touch src/main.rs src/lib.rs && cargo build --release --locked --bin motcua

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq5 ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 motcua \
 && useradd --system --uid 10001 --gid motcua --home-dir /var/lib/motcua --create-home motcua
COPY --from=build /src/target/release/motcua /usr/local/bin/motcua
COPY config/default.toml /etc/motcua/default.toml
# Numeric, so that runtimes can tell it is not root without reading the image's /etc/passwd.
USER 10001:10001
WORKDIR /var/lib/motcua
ENV MOTCUA_CONFIG=/etc/motcua/default.toml \
    MOTCUA__SERVER__BIND=0.0.0.0:8080 \
    MOTCUA__DATABASE__URL=sqlite:///var/lib/motcua/data/motcua.db
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["curl", "-fsS", "http://127.0.0.1:8080/readyz"]
ENTRYPOINT ["motcua"]
CMD ["serve"]
