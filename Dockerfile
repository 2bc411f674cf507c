# Haven in a container: built in one stage, run from a small one as a
# non-root user. The database lives on the /data volume.
FROM rust:1-slim-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY migrations ./migrations
COPY assets ./assets
COPY data ./data
COPY benches ./benches
RUN cargo build --release --locked --bin haven

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data --create-home haven
COPY --from=build /src/target/release/haven /usr/local/bin/haven
USER haven
WORKDIR /data
ENV DATABASE_URL=sqlite:///data/haven.db \
    RUST_LOG=info
VOLUME ["/data"]
ENTRYPOINT ["/usr/local/bin/haven"]
