# syntax=docker/dockerfile:1

# Build: a static binary (no cgo), stamped with the version.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -buildvcs=false \
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
ENTRYPOINT ["/usr/local/bin/vitrina"]
CMD ["serve"]
