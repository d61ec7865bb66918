# esb-database: the app image (compose/Dockerfile) with the database service's command, for running
# the service on its own (a registry, kind, docker run). The compose stack does not need it: it
# runs the esb image with the same command. Build: scripts/compose-service-images.sh
ARG APP_IMAGE=esb:latest
FROM ${APP_IMAGE}
EXPOSE 8000
HEALTHCHECK --interval=5s --timeout=5s --start-period=60s --retries=10 CMD ["node", "-e", "fetch('http://127.0.0.1:8000/').then(()=>process.exit(0),()=>process.exit(1))"]
CMD ["storage", "--only", "dynamodb", "--host", "0.0.0.0", "--dynamodb-port", "8000", "--data-dir", "/data"]
