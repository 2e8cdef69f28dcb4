# syntax=docker/dockerfile:1

# The Go of the build: keep it equal to the `go` line of go.mod (TestDockerfileGoVersion in
# cmd/vitrina checks it). The toolchain is the image's own: GOTOOLCHAIN=local never downloads
# another one.
ARG GO_VERSION=1.26

# Build: a static binary (no cgo), stamped with the version.
FROM golang:${GO_VERSION} AS build
# The network the build needs is the module proxy only (the checksum database is reached
# through it too): point GOPROXY at your mirror if you have one. -mod=readonly: go.mod and
# go.sum are used as committed, never rewritten.
ARG GOPROXY=https://proxy.golang.org
ENV GOPROXY=${GOPROXY} GOTOOLCHAIN=local GOFLAGS=-mod=readonly CGO_ENABLED=0
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    go build -trimpath -buildvcs=false \
      -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" \
      -o /out/vitrina ./cmd/vitrina

# Run: distroless static has CA certificates (for api.telegram.org), time zones, and a
# nonroot user (65532), and no shell.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/vitrina /usr/local/bin/vitrina
USER nonroot:nonroot
# In a container the server must listen beyond loopback.
ENV VITRINA_HTTP_ADDR=0.0.0.0:8080
EXPOSE 8080
# /healthz on VITRINA_HTTP_ADDR (there is no curl in the image). `serve` always listens there;
# run `worker` with --http-addr 0.0.0.0:8080 for it to pass.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["/usr/local/bin/vitrina", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/vitrina"]
CMD ["serve"]
