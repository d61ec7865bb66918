# esb-runtime:java — what AWS's java base images are for Lambda: a JRE (trixie's OpenJDK 25, which
# loads the classes of every javaNN runtime), esb's Java runtime client at /var/runtime/java/client
# (and its copy of the aws-lambda-java-core interfaces in /var/runtime/java/core), the
# handler as CMD. The client is compiled in a first stage with the JDK (docs/agent.md, "Java").
# Built by scripts/docker-base-image.sh on esb-base:trixie. Build context: agent/runtime.
ARG BASE_IMAGE=esb-base:trixie
FROM ${BASE_IMAGE} AS client
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends openjdk-25-jdk-headless \
 && apt-get clean && rm -rf /var/lib/apt/lists/*
COPY java/ /src/client/
COPY java-core/ /src/core/
RUN for part in core client; do javac --release 8 -nowarn -Xlint:-options -encoding UTF-8 -d /classes/$part $(find /src/$part -name '*.java') || exit 1; done

FROM ${BASE_IMAGE}
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends openjdk-25-jre-headless ca-certificates \
 && apt-get clean && rm -rf /var/lib/apt/lists/* \
 && java -version
COPY --from=client /classes /var/runtime/java
ENV LAMBDA_TASK_ROOT=/var/task LAMBDA_RUNTIME_DIR=/var/runtime LANG=C.UTF-8
WORKDIR /var/task
# Lambda's JVM options for its Java runtimes; the heap follows the container's memory limit
# (MemorySize). The code folder, then the layers (/opt): the client's arguments.
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=85", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-XX:-UsePerfData", "-Djava.net.preferIPv4Stack=true", "-cp", "/var/runtime/java/client", "esb.runtime.Bootstrap", "/var/task", "/opt"]
CMD ["example.App::handleRequest"]
