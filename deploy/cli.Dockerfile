# syntax=docker/dockerfile:1
# The client image: `actsearch` (src/ActSearch.Cli) for the batch Jobs (k8s/batch) and for one-off commands in the
# cluster, e.g. kubectl -n actsearch run -it --rm cli --image=actsearch-cli:0.1.0 -- jobs --server http://actsearch-coordinator:5080
#   docker build -f deploy/cli.Dockerfile -t actsearch-cli:0.1.0 .
# A command-line tool, not a service: no ports and no HEALTHCHECK. It carries actsearch-healthcheck so that a Job
# can wait for the coordinator before it submits.
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
RUN --mount=type=cache,id=actsearch-nuget,target=/root/.nuget/packages \
    dotnet publish src/ActSearch.Cli/ActSearch.Cli.csproj -c Release -o /app --nologo

FROM ${RUNTIME_IMAGE}
WORKDIR /app
COPY --from=build /app ./
COPY --chmod=0755 deploy/healthcheck.sh /usr/local/bin/actsearch-healthcheck
RUN ln -s /app/actsearch /usr/local/bin/actsearch
# actsearch run trains in this process: the worker image's allocator settings (deploy/CONFIGURATION.md).
ENV GLIBC_TUNABLES=glibc.malloc.arena_max=1:glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=536870912
USER 1654
ENTRYPOINT ["actsearch"]
