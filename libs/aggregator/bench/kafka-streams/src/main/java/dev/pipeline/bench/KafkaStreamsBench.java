package dev.pipeline.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KGroupedStream;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Suppressed;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.state.WindowStore;

/**
 * The aggregator bench's IoT pipeline written the way a Kafka Streams user would: readings (Avro, Confluent wire
 * format, writer schema from the registry by id) keyed by sensor, a 1-minute tumbling and a 5-minute hopping
 * (1-minute advance) window, both with 10 s grace and emitted once when they close (suppress), and the alerts
 * derived from each reading. Exactly-once v2, one stream thread, RocksDB stores with their changelogs.
 *
 * Times the group from start to the input's last offset committed (events_per_s), then, as a replica started
 * on another machine after kill -9 would, restores the state into an empty state directory (restore_ms).
 * Prints one line: kafka-streams-bench keys=K events=N events_per_s=X peak_rss_mib=Y restore_ms=Z cpu_s=C
 */
public final class KafkaStreamsBench {
  private static final String INPUT = "iot.sensor-readings";
  private static final String STATS = "kafka-streams.iot.sensor-window-stats";
  private static final String ALERTS = "kafka-streams.iot.sensor-alerts";
  private static final Duration GRACE = Duration.ofSeconds(10);
  /** State directories below the working directory (the workspace root: dist is ignored), not the OS temp folder Kafka Streams warns about. */
  private static final Path STATE_ROOT = Path.of("dist", "bench", "kafka-streams-state");
  private static final Duration RESTORE_DEADLINE = Duration.ofMinutes(30);
  private static final CloseOptions LEAVE_GROUP = CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP);

  public static void main(String[] args) throws Exception {
    Map<String, String> options = parse(args);
    Files.createDirectories(STATE_ROOT);
    String namespace = options.get("namespace");
    long events = Long.parseLong(options.get("events"));
    String bootstrap = options.get("bootstrap");
    String input = namespace + INPUT;
    Properties settings = new Properties();
    settings.put(StreamsConfig.APPLICATION_ID_CONFIG, namespace + "kafka-streams-bench");
    settings.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    settings.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    settings.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
    Path stateDir = Files.createTempDirectory(STATE_ROOT, "run");
    settings.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    settings.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
    Topology topology = topology(input, namespace, new ReadingDeserializer(options.get("registry")));

    long cpuAtStart = cpuNanos();
    long startedAt = System.nanoTime();
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      Map<TopicPartition, Long> ends = endOffsets(admin, input);
      // Kafka Streams creates its internal topics, not its sinks: these have the aggregator's output partitions.
      admin.createTopics(List.of(new NewTopic(namespace + STATS, 3, (short) 1), new NewTopic(namespace + ALERTS, 3, (short) 1))).all().get();
      KafkaStreams streams = new KafkaStreams(topology, settings);
      AtomicReference<Throwable> failure = failureOf(streams);
      streams.start();
      while (committed(admin, settings.getProperty(StreamsConfig.APPLICATION_ID_CONFIG), ends) < events) {
        if (failure.get() != null) throw new IllegalStateException("Kafka Streams failed while aggregating", failure.get());
        Thread.sleep(20);
      }
      double seconds = (System.nanoTime() - startedAt) / 1e9;
      double cpuSeconds = (cpuNanos() - cpuAtStart) / 1e9;
      long peakRssMib = peakRssKib() / 1024;
      System.err.printf("aggregated %d events in %.1f s, %.1f CPU s, peak RSS %d MiB%n", events, seconds, cpuSeconds, peakRssMib);
      // Leaving the group, so the restoring instance is not held back until this member's session expires.
      streams.close(LEAVE_GROUP);

      // A replica on another machine: an empty state directory, every store restored from its changelog.
      deleteTree(stateDir);
      Path restoreDir = Files.createTempDirectory(STATE_ROOT, "restore");
      settings.put(StreamsConfig.STATE_DIR_CONFIG, restoreDir.toString());
      KafkaStreams restorer = new KafkaStreams(topology, settings);
      AtomicReference<Throwable> restoreFailure = failureOf(restorer);
      long restoreStartedAt = System.nanoTime();
      restorer.start();
      while (restorer.state() != KafkaStreams.State.RUNNING && restoreFailure.get() == null) {
        if (System.nanoTime() - restoreStartedAt > RESTORE_DEADLINE.toNanos()) restoreFailure.set(new IllegalStateException("not RUNNING after " + RESTORE_DEADLINE));
        Thread.sleep(20);
      }
      long restoreMs = (System.nanoTime() - restoreStartedAt) / 1_000_000;
      restorer.close(LEAVE_GROUP);
      deleteTree(restoreDir);
      if (restoreFailure.get() != null) System.err.println("the restoring instance failed: " + rootCause(restoreFailure.get()));

      if (!options.containsKey("keep-topics")) deleteTopics(admin, namespace);
      String restore = restoreFailure.get() == null ? String.valueOf(restoreMs) : "failed";
      System.out.printf("kafka-streams-bench keys=%s events=%d events_per_s=%d peak_rss_mib=%d restore_ms=%s cpu_s=%.1f%n", options.get("keys"), events, Math.round(events / seconds), peakRssMib, restore, cpuSeconds);
    }
    System.exit(0);
  }

  static Topology topology(String input, String namespace, ReadingDeserializer readings) {
    StreamsBuilder builder = new StreamsBuilder();
    KStream<String, Reading> stream = builder.stream(input, Consumed.with(Serdes.String(), Serdes.serdeFrom((topic, reading) -> { throw new UnsupportedOperationException(); }, readings))
        .withTimestampExtractor((record, previous) -> ((Reading) record.value()).timestamp()));
    KGroupedStream<String, Reading> bySensor = stream.groupByKey();
    String statsTopic = namespace + STATS;
    windowStats(bySensor, "stats-1m", TimeWindows.ofSizeAndGrace(Duration.ofMinutes(1), GRACE), statsTopic);
    windowStats(bySensor, "stats-5m-hopping", TimeWindows.ofSizeAndGrace(Duration.ofMinutes(5), GRACE).advanceBy(Duration.ofMinutes(1)), statsTopic);
    stream.flatMap((sensorId, reading) -> alerts(reading)).to(namespace + ALERTS, Produced.with(Serdes.String(), Serdes.String()));
    return builder.build();
  }

  private static void windowStats(KGroupedStream<String, Reading> bySensor, String name, TimeWindows windows, String topic) {
    bySensor.windowedBy(windows)
        .aggregate(Stats::new, (sensorId, reading, stats) -> stats.add(reading), Materialized.<String, Stats, WindowStore<Bytes, byte[]>>as(name).withKeySerde(Serdes.String()).withValueSerde(Stats.SERDE))
        .suppress(Suppressed.untilWindowCloses(Suppressed.BufferConfig.unbounded()))
        .toStream()
        .map((window, stats) -> KeyValue.pair(window.key() + "|" + window.window().start(), stats.toJson(window.key(), window.window().start(), window.window().end())))
        .to(topic, Produced.with(Serdes.String(), Serdes.String()));
  }

  /** The IoT domain's alert rules (libs/pipelines/src/domains/iot.ts, SENSOR_ALERT_RULES). */
  static List<KeyValue<String, String>> alerts(Reading reading) {
    List<KeyValue<String, String>> alerts = new ArrayList<>(0);
    if (reading.temperature() < 0 || reading.temperature() > 40) alerts.add(alert(reading, "temperature_out_of_range", reading.temperature() > 50 || reading.temperature() < -10, reading.temperature()));
    if (reading.batteryLevel() < 0.2) alerts.add(alert(reading, "low_battery", reading.batteryLevel() < 0.1, reading.batteryLevel()));
    if (reading.humidity() > 90) alerts.add(alert(reading, "high_humidity", reading.humidity() > 95, reading.humidity()));
    return alerts;
  }

  private static KeyValue<String, String> alert(Reading reading, String type, boolean critical, double value) {
    String id = reading.sensorId() + "|" + reading.timestamp() + "|" + type;
    return KeyValue.pair(id, "{\"alertId\":\"" + id + "\",\"severity\":\"" + (critical ? "critical" : "warning") + "\",\"value\":" + value + "}");
  }

  record Reading(String sensorId, long timestamp, double temperature, double humidity, double pressure, double batteryLevel) {}

  /** Confluent wire format: magic byte 0, the writer schema's registry id, then the Avro binary body. */
  static final class ReadingDeserializer implements Deserializer<Reading> {
    private final String registry;
    private final HttpClient http = HttpClient.newHttpClient();
    private final Map<Integer, GenericDatumReader<GenericRecord>> readers = new ConcurrentHashMap<>();
    private BinaryDecoder decoder;

    ReadingDeserializer(String registry) {
      this.registry = registry;
    }

    @Override
    public Reading deserialize(String topic, byte[] data) {
      ByteBuffer buffer = ByteBuffer.wrap(data);
      if (buffer.get() != 0) throw new IllegalArgumentException("not in the Confluent wire format");
      GenericDatumReader<GenericRecord> reader = readers.computeIfAbsent(buffer.getInt(), this::readerOf);
      try {
        decoder = DecoderFactory.get().binaryDecoder(data, 5, data.length - 5, decoder);
        GenericRecord record = reader.read(null, decoder);
        return new Reading(record.get("sensorId").toString(), (Long) record.get("timestamp"), (Double) record.get("temperature"), (Double) record.get("humidity"), (Double) record.get("pressure"), (Double) record.get("batteryLevel"));
      } catch (IOException error) {
        throw new IllegalArgumentException("undecodable reading", error);
      }
    }

    private GenericDatumReader<GenericRecord> readerOf(int id) {
      try {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(registry + "/schemas/ids/" + id)).build(), HttpResponse.BodyHandlers.ofString());
        String schema = new ObjectMapper().readTree(response.body()).get("schema").asText();
        return new GenericDatumReader<>(new Schema.Parser().parse(schema));
      } catch (IOException | InterruptedException error) {
        throw new IllegalStateException("schema " + id + " could not be read from the registry", error);
      }
    }
  }

  /** A window's running statistics: the same aggregates as the pipeline's (count, avg/min/max of three measures, min battery, trend). */
  static final class Stats {
    static final int SIZE = 8 * 17;
    static final Serde<Stats> SERDE = Serdes.serdeFrom((Serializer<Stats>) (topic, stats) -> stats.toBytes(), (Deserializer<Stats>) (topic, bytes) -> Stats.fromBytes(bytes));
    long count;
    double sumTemperature, minTemperature = Double.MAX_VALUE, maxTemperature = -Double.MAX_VALUE;
    double sumHumidity, minHumidity = Double.MAX_VALUE, maxHumidity = -Double.MAX_VALUE;
    double sumPressure, minPressure = Double.MAX_VALUE, maxPressure = -Double.MAX_VALUE;
    double minBattery = Double.MAX_VALUE;
    long firstAt = Long.MAX_VALUE, lastAt = Long.MIN_VALUE;
    double firstTemperature, lastTemperature;

    Stats add(Reading reading) {
      count++;
      sumTemperature += reading.temperature();
      minTemperature = Math.min(minTemperature, reading.temperature());
      maxTemperature = Math.max(maxTemperature, reading.temperature());
      sumHumidity += reading.humidity();
      minHumidity = Math.min(minHumidity, reading.humidity());
      maxHumidity = Math.max(maxHumidity, reading.humidity());
      sumPressure += reading.pressure();
      minPressure = Math.min(minPressure, reading.pressure());
      maxPressure = Math.max(maxPressure, reading.pressure());
      minBattery = Math.min(minBattery, reading.batteryLevel());
      if (reading.timestamp() < firstAt) {
        firstAt = reading.timestamp();
        firstTemperature = reading.temperature();
      }
      if (reading.timestamp() >= lastAt) {
        lastAt = reading.timestamp();
        lastTemperature = reading.temperature();
      }
      return this;
    }

    String toJson(String sensorId, long start, long end) {
      double change = lastTemperature - firstTemperature;
      String trend = Math.abs(change) < 0.5 ? "stable" : change > 0 ? "increasing" : "decreasing";
      return "{\"sensorId\":\"" + sensorId + "\",\"windowStart\":" + start + ",\"windowEnd\":" + end + ",\"readingCount\":" + count
          + ",\"avgTemperature\":" + sumTemperature / count + ",\"minTemperature\":" + minTemperature + ",\"maxTemperature\":" + maxTemperature
          + ",\"avgHumidity\":" + sumHumidity / count + ",\"minHumidity\":" + minHumidity + ",\"maxHumidity\":" + maxHumidity
          + ",\"avgPressure\":" + sumPressure / count + ",\"minPressure\":" + minPressure + ",\"maxPressure\":" + maxPressure
          + ",\"minBatteryLevel\":" + minBattery + ",\"temperatureTrend\":\"" + trend + "\"}";
    }

    byte[] toBytes() {
      ByteBuffer buffer = ByteBuffer.allocate(SIZE);
      buffer.putLong(count).putDouble(sumTemperature).putDouble(minTemperature).putDouble(maxTemperature);
      buffer.putDouble(sumHumidity).putDouble(minHumidity).putDouble(maxHumidity);
      buffer.putDouble(sumPressure).putDouble(minPressure).putDouble(maxPressure).putDouble(minBattery);
      buffer.putLong(firstAt).putLong(lastAt).putDouble(firstTemperature).putDouble(lastTemperature);
      return buffer.array();
    }

    static Stats fromBytes(byte[] bytes) {
      if (bytes == null) return null;
      ByteBuffer buffer = ByteBuffer.wrap(bytes);
      Stats stats = new Stats();
      stats.count = buffer.getLong();
      stats.sumTemperature = buffer.getDouble();
      stats.minTemperature = buffer.getDouble();
      stats.maxTemperature = buffer.getDouble();
      stats.sumHumidity = buffer.getDouble();
      stats.minHumidity = buffer.getDouble();
      stats.maxHumidity = buffer.getDouble();
      stats.sumPressure = buffer.getDouble();
      stats.minPressure = buffer.getDouble();
      stats.maxPressure = buffer.getDouble();
      stats.minBattery = buffer.getDouble();
      stats.firstAt = buffer.getLong();
      stats.lastAt = buffer.getLong();
      stats.firstTemperature = buffer.getDouble();
      stats.lastTemperature = buffer.getDouble();
      return stats;
    }
  }

  private static Map<TopicPartition, Long> endOffsets(Admin admin, String topic) throws Exception {
    int partitions = admin.describeTopics(Set.of(topic)).allTopicNames().get().get(topic).partitions().size();
    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
    for (int partition = 0; partition < partitions; partition++) latest.put(new TopicPartition(topic, partition), OffsetSpec.latest());
    Map<TopicPartition, ListOffsetsResultInfo> ends = admin.listOffsets(latest).all().get();
    return ends.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, entry -> entry.getValue().offset()));
  }

  /** Input records committed by the group (its offsets, each capped at the end taken before the run). */
  private static long committed(Admin admin, String groupId, Map<TopicPartition, Long> ends) throws Exception {
    Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(groupId).partitionsToOffsetAndMetadata().get();
    long total = 0;
    for (Map.Entry<TopicPartition, Long> end : ends.entrySet()) {
      OffsetAndMetadata offset = offsets.get(end.getKey());
      if (offset != null) total += Math.min(offset.offset(), end.getValue());
    }
    return total;
  }

  private static void deleteTopics(Admin admin, String namespace) throws Exception {
    Set<String> own = admin.listTopics().names().get().stream().filter(name -> name.startsWith(namespace)).collect(Collectors.toSet());
    if (!own.isEmpty()) admin.deleteTopics(own).all().get();
  }

  /** The error that stops an instance (a stream or state-updater thread's), which then shuts the client down. */
  private static AtomicReference<Throwable> failureOf(KafkaStreams streams) {
    AtomicReference<Throwable> failure = new AtomicReference<>();
    streams.setUncaughtExceptionHandler(error -> {
      failure.compareAndSet(null, error);
      return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    });
    return failure;
  }

  private static Throwable rootCause(Throwable error) {
    Throwable cause = error;
    while (cause.getCause() != null && cause.getCause() != cause) cause = cause.getCause();
    return cause;
  }

  /** A state directory (RocksDB files: hundreds of MiB at 1,000,000 keys), once its instance is closed. */
  private static void deleteTree(Path root) throws IOException {
    try (var paths = Files.walk(root)) {
      for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(path);
    }
  }

  private static long cpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }

  /** The process's peak resident set (VmHWM), heap and RocksDB alike. */
  private static long peakRssKib() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
    }
    return 0;
  }

  private static Map<String, String> parse(String[] args) {
    Map<String, String> options = new HashMap<>();
    for (int index = 0; index < args.length; index++) {
      if (!args[index].startsWith("--")) throw new IllegalArgumentException("unexpected argument " + args[index]);
      String name = args[index].substring(2);
      boolean flag = index + 1 >= args.length || args[index + 1].startsWith("--");
      options.put(name, flag ? "true" : args[++index]);
    }
    for (String required : List.of("namespace", "bootstrap", "registry", "keys", "events")) {
      if (!options.containsKey(required)) throw new IllegalArgumentException("--" + required + " is required");
    }
    return options;
  }
}
