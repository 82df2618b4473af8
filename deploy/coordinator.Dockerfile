# syntax=docker/dockerfile:1
# The coordinator image: silos/ActSearch.Coordinator, the coordinator silo with the HTTP API and the web UI.
# Build from the repository root (the context is the whole repository; .dockerignore keeps it to what builds):
#   docker build -f deploy/coordinator.Dockerfile -t actsearch-coordinator:0.1.0 .
# Settings are ACTSEARCH_* variables (deploy/CONFIGURATION.md); ACTSEARCH_DB is required in a container (the image
# has no PostgreSQL server for the embedded default).
#
# Base images are pinned by tag and share one distribution, Ubuntu 24.04: its libstdc++ has what TorchSharp's
# native library asks for, so build/TorchSharpDebianFix.targets finds nothing to do here.
ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0-noble
ARG RUNTIME_IMAGE=mcr.microsoft.com/dotnet/aspnet:10.0-noble

FROM ${SDK_IMAGE} AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY build/ build/
# ActSearch.SearchSpaces embeds the published search spaces.
COPY search-spaces/ search-spaces/
# ActSearch.Evaluation ships the committed data subsets in every publish output (/app/data).
COPY data/ data/
COPY src/ src/
COPY silos/ silos/
RUN --mount=type=cache,id=actsearch-nuget,target=/root/.nuget/packages \
    dotnet publish silos/ActSearch.Coordinator/ActSearch.Coordinator.csproj -c Release -o /app --nologo

FROM ${RUNTIME_IMAGE}
WORKDIR /app
COPY --from=build /app ./
COPY --chmod=0755 deploy/healthcheck.sh /usr/local/bin/actsearch-healthcheck
# The same values as k8s/base/env/coordinator.env (a test keeps them equal); the cluster's env files override them.
ENV ACTSEARCH_URLS=http://+:5080
# HTTP API and web UI, Orleans silo-to-silo, Orleans gateway.
EXPOSE 5080 11111 30000
# The base image's non-root user "app" (APP_UID); Kubernetes pods run as the same uid.
USER 1654
HEALTHCHECK --interval=15s --timeout=5s --start-period=120s --retries=3 CMD ["actsearch-healthcheck", "/healthz"]
ENTRYPOINT ["dotnet", "/app/ActSearch.Coordinator.dll"]
