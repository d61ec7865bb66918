# esb-controller: the app image (compose/Dockerfile) with the controller service's command, for running
# the service on its own (a registry, kind, docker run). The compose stack does not need it: it
# runs the esb image with the same command. Build: scripts/compose-service-images.sh
ARG APP_IMAGE=esb:latest
FROM ${APP_IMAGE}
CMD ["controller", "--backend", "file", "--runtime", "docker"]
