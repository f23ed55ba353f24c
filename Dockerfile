# entpipe container image: a static binary on a minimal, non-root base.
#
#   docker build --build-arg VERSION=$(git describe --tags --always) --build-arg REVISION=$(git rev-parse HEAD) -t ghcr.io/entpipe/entpipe:dev .
#   docker run --rm ghcr.io/entpipe/entpipe:dev --version
#
# The build flags are the Makefile's `build` target (CGO_ENABLED=0 -trimpath
# -ldflags '-s -w -X github.com/prometheus/common/version.Version=… -X
# ….Revision=…', the build information of --version and entpipe_build_info);
# deploy/deploy_test.go builds with the flags read from this file and checks
# the binary is static, since CI has no container engine to run `docker build`.

ARG GO_VERSION=1.26

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
# .git is not in the build context: the revision comes as an argument.
ARG REVISION=unknown
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X github.com/prometheus/common/version.Version=${VERSION} -X github.com/prometheus/common/version.Revision=${REVISION}" -o /out/entpipe ./cmd/entpipe \
 && /out/entpipe --version \
 && mkdir -p /out/state

# busybox's static wget is the only tool the runtime image needs: the
# HEALTHCHECK below. Distroless has no shell and no HTTP client.
FROM busybox:1.37-musl AS tools

FROM gcr.io/distroless/static-debian12:nonroot
ARG VERSION=dev
LABEL org.opencontainers.image.title="entpipe" \
      org.opencontainers.image.description="ENT usage and load metrics: access logs, Enseigno exports and server load to InfluxDB, Prometheus and Grafana" \
      org.opencontainers.image.source="https://github.com/entpipe/entpipe" \
      org.opencontainers.image.version="${VERSION}"
COPY --from=tools /bin/busybox /usr/local/bin/busybox
COPY --from=build /out/entpipe /usr/local/bin/entpipe
# nonroot is uid/gid 65532. /var/lib/entpipe holds checkpoints, the spool and
# (unless salt_file points elsewhere) the salt: mount a persistent volume there
# (a new named volume inherits this directory's owner).
COPY --from=build --chown=65532:65532 /out/state /var/lib/entpipe
USER 65532:65532
WORKDIR /var/lib/entpipe
VOLUME ["/var/lib/entpipe"]
EXPOSE 9489
# Assumes the default -web.listen-address :9489 without TLS; with
# -web.config.file (TLS, basic auth) override or disable it (--no-healthcheck).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["/usr/local/bin/busybox", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:9489/-/healthy"]
ENTRYPOINT ["/usr/local/bin/entpipe"]
CMD ["run", "-config", "/etc/entpipe/entpipe.yaml", "-web.listen-address", ":9489"]
