#!/usr/bin/env bash
# The aggregator bench's peer: the same input and windows through Kafka Streams (KafkaStreamsBench.java).
#   npx nx run aggregator:bench-kafka-streams -- --keys K --events N
# Produces the input with the aggregator bench (`--produce-only`, its own topic namespace), runs Kafka Streams on
# it, and deletes the namespace's topics. Needs the JDK and Maven of the local stack.
set -euo pipefail
keys=100 events=1000000
while [ $# -gt 0 ]; do
  case "$1" in
    --keys) keys="$2"; shift 2 ;;
    --events) events="$2"; shift 2 ;;
    *) echo "unknown option $1 (--keys K --events N)" >&2; exit 2 ;;
  esac
done
here="$(cd "$(dirname "$0")" && pwd)"
namespace="bench-ks-$(date +%s)."
mvn -q -B -f "$here/pom.xml" package
PIPELINE_TOPIC_NAMESPACE="$namespace" node dist/bench/aggregator/main.js --keys "$keys" --events "$events" --produce-only
# The endpoints the produce step's bringUpStack found or started.
set -a; . .stack/stack.env; set +a
# JAVA_OPTS as a user would tune the JVM (for example -Xmx512m); the default heap is a quarter of the machine's memory.
exec java ${JAVA_OPTS:-} -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$here/target/classes:$(cat "$here/target/classpath.txt")" dev.pipeline.bench.KafkaStreamsBench \
  --namespace "$namespace" --bootstrap "$KAFKA_BROKERS" --registry "$SCHEMA_REGISTRY_URL" --keys "$keys" --events "$events"
