# The init-container image for people who build with Docker. It holds the
# same thing as `go run ./hack/build-image`, which needs no daemon: the
# static vault-relay binary, with CA roots compiled in, and nothing else.
FROM golang:1.26 AS build
ARG VERSION=0.1.0
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY cmd ./cmd
COPY internal ./internal
# -tags initonly leaves out the post-renderer, whose dependencies slow the
# start of every relay pod; the init container never post-renders.
RUN CGO_ENABLED=0 go build -trimpath -buildvcs=false -tags initonly \
      -ldflags "-s -w -X github.com/helm-vault-relay/helm-vault-relay/internal/version.Version=${VERSION}" \
      -o /vault-relay ./cmd/vault-relay

FROM scratch
COPY --from=build --chmod=0755 /vault-relay /vault-relay
USER 65532:65532
ENTRYPOINT ["/vault-relay", "fetch"]
