# syntax=docker/dockerfile:1
# The worker images: silos/ActSearch.Worker, a worker silo that trains candidates with TorchSharp, with /healthz and
# /readyz on ACTSEARCH_URLS. Two targets from one build; the native libtorch is a build argument, not a code change:
#   CPU:  docker build -f deploy/worker.Dockerfile --target cpu -t actsearch-worker-cpu:0.1.0 .
#   CUDA: docker build -f deploy/worker.Dockerfile --target cuda \
#           --build-arg TORCHSHARP_NATIVE=TorchSharp-cuda-linux -t actsearch-worker-cuda:0.1.0 .
# TORCHSHARP_NATIVE becomes the MSBuild property TorchSharpNative, the package the worker project references
# (default TorchSharp-cpu; its version comes from Directory.Packages.props). The CUDA package brings libtorch with
# CUDA 12.8 and cuDNN (several GB to restore); the node needs an NVIDIA driver for CUDA 12.8.
#
# The worker is published self-contained, so the CUDA target needs no .NET in its NVIDIA base image. Both bases are
# Ubuntu 24.04, like the SDK image: TorchSharp's native library loads without build/TorchSharpDebianFix.targets.
ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0-noble
ARG CPU_BASE_IMAGE=mcr.microsoft.com/dotnet/runtime-deps:10.0-noble
ARG CUDA_BASE_IMAGE=nvidia/cuda:12.8.1-runtime-ubuntu24.04

FROM ${SDK_IMAGE} AS build
ARG TORCHSHARP_NATIVE=TorchSharp-cpu
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
    dotnet publish silos/ActSearch.Worker/ActSearch.Worker.csproj -c Release -r linux-x64 --self-contained \
      -p:TorchSharpNative=${TORCHSHARP_NATIVE} -o /app --nologo

# CUDA worker. Not the default target: build it with --target cuda and TORCHSHARP_NATIVE=TorchSharp-cuda-linux.
FROM ${CUDA_BASE_IMAGE} AS cuda
# What a self-contained .NET app needs on Ubuntu 24.04 (runtime-deps has the same), and the user "app" with the
# uid of the .NET images' app user, so one pod securityContext fits every image.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libssl3t64 tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --uid 1654 --user-group --create-home --shell /usr/sbin/nologin app
WORKDIR /app
COPY --from=build /app ./
RUN test -e /app/libtorch_cuda.so \
 || { echo "the cuda target needs --build-arg TORCHSHARP_NATIVE=TorchSharp-cuda-linux (found no libtorch_cuda.so)" >&2; exit 1; }
COPY --chmod=0755 deploy/healthcheck.sh /usr/local/bin/actsearch-healthcheck
# ACTSEARCH_URLS as in k8s/base/env/worker.env; the proxy tasks' data sets ship in the image (the publish output's data/).
# GLIBC_TUNABLES: freed tensor memory stays in the process (one malloc arena, tensors on the heap, no trimming), so a
# training step does not fault its pages in again (deploy/CONFIGURATION.md).
ENV ACTSEARCH_URLS=http://+:5081 \
    ACTSEARCH_DATA=/app/data \
    ACTSEARCH_DEVICE=cuda \
    GLIBC_TUNABLES=glibc.malloc.arena_max=1:glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=536870912
EXPOSE 5081 11111 30000
USER 1654
HEALTHCHECK --interval=15s --timeout=5s --start-period=120s --retries=3 CMD ["actsearch-healthcheck", "/healthz"]
ENTRYPOINT ["/app/ActSearch.Worker"]

# CPU worker (the default target).
FROM ${CPU_BASE_IMAGE} AS cpu
WORKDIR /app
COPY --from=build /app ./
COPY --chmod=0755 deploy/healthcheck.sh /usr/local/bin/actsearch-healthcheck
ENV ACTSEARCH_URLS=http://+:5081 \
    ACTSEARCH_DATA=/app/data \
    ACTSEARCH_DEVICE=cpu \
    GLIBC_TUNABLES=glibc.malloc.arena_max=1:glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=536870912
EXPOSE 5081 11111 30000
USER 1654
HEALTHCHECK --interval=15s --timeout=5s --start-period=120s --retries=3 CMD ["actsearch-healthcheck", "/healthz"]
ENTRYPOINT ["/app/ActSearch.Worker"]
