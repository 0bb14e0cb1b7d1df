// The image's HEALTHCHECK (slim images have no curl): exit 0 when the service answers /health/live
// on HTTP_PORT, 1 otherwise. Liveness only: a dependency outage must not mark the container unhealthy.
const url = `http://127.0.0.1:${process.env.HTTP_PORT}/health/live`;
fetch(url, { signal: AbortSignal.timeout(4000) }).then(
  (response) => process.exit(response.ok ? 0 : 1),
  (error) => {
    console.error(`${url}: ${error.message}`);
    process.exit(1);
  },
);
