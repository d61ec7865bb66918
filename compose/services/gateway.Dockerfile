# esb-gateway: the app image (compose/Dockerfile) with the gateway service's command, for running
# the service on its own (a registry, kind, docker run). The compose stack does not need it: it
# runs the esb image with the same command. Build: scripts/compose-service-images.sh
ARG APP_IMAGE=esb:latest
FROM ${APP_IMAGE}
EXPOSE 3000
HEALTHCHECK --interval=5s --timeout=5s --start-period=60s --retries=10 CMD ["node", "-e", "fetch('http://127.0.0.1:3000/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["gateway", "--agent-url", "http://agent:9001", "--port", "3000", "--config-dir", "/app/runtime-config"]
