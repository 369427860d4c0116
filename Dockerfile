# partnerlink: one static binary, every subcommand.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/partnerlink ./cmd/partnerlink

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/partnerlink /partnerlink
ENTRYPOINT ["/partnerlink"]
