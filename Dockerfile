# ecom-pipeline: the CLI on the official Deno image (pinned version), its
# dependencies cached in their own layer, running as the image's
# unprivileged deno user (uid 1993), never as root.
FROM denoland/deno:2.9.6

WORKDIR /app
RUN chown deno:deno /app
USER deno

# Dependencies first: this layer is rebuilt only when deno.json or deno.lock change.
COPY --chown=deno:deno deno.json deno.lock ./
RUN deno install --frozen

COPY --chown=deno:deno main.ts ./
COPY --chown=deno:deno lib/ lib/
COPY --chown=deno:deno stages/ stages/
COPY --chown=deno:deno tasks/ tasks/
COPY --chown=deno:deno sql/ sql/
# Cache the module graph at build time, not at first run.
RUN deno cache main.ts tasks/schedule.ts tasks/serve_dashboard.ts && mkdir -p data logs

VOLUME ["/app/data", "/app/logs"]

# The image's entrypoint runs deno; by default, one pipeline run.
CMD ["task", "pipeline"]
