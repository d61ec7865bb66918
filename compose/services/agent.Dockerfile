# esb-agent: the app image (compose/Dockerfile) with the agent service's command, for running
# the service on its own (a registry, kind, docker run). The compose stack does not need it: it
# runs the esb image with the same command. Build: scripts/compose-service-images.sh
ARG APP_IMAGE=esb:latest
FROM ${APP_IMAGE}
EXPOSE 9001
HEALTHCHECK --interval=5s --timeout=5s --start-period=60s --retries=10 CMD ["node", "-e", "fetch('http://127.0.0.1:9001/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["agent", "--runtime", "docker", "--host", "0.0.0.0", "--port", "9001", "--config-dir", "/app/runtime-config", "--log-dir", "/var/log/esb"]
