# esb-s3-storage: the app image (compose/Dockerfile) with the s3-storage service's command, for running
# the service on its own (a registry, kind, docker run). The compose stack does not need it: it
# runs the esb image with the same command. Build: scripts/compose-service-images.sh
ARG APP_IMAGE=esb:latest
FROM ${APP_IMAGE}
EXPOSE 9000
HEALTHCHECK --interval=5s --timeout=5s --start-period=60s --retries=10 CMD ["node", "-e", "fetch('http://127.0.0.1:9000/').then(()=>process.exit(0),()=>process.exit(1))"]
CMD ["storage", "--only", "s3", "--host", "0.0.0.0", "--s3-port", "9000", "--data-dir", "/data"]
