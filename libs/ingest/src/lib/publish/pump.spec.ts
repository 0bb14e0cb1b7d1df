import { heartbeatEventTime } from '@pipeline/contracts';
import fc from 'fast-check';
import type { EventTopic } from '../source';
import { partitionOfKey } from './partition-progress';
import { MAX_WAITING_BATCHES, pump, type EventSink } from './pump';
import type { RecordWriter, SourceReached, TopicRecords } from './record-writer';

interface Tick {
  timestamp: number;
  id: string;
}

const topic: EventTopic<Tick> = {
  topic: 'ticks',
  partitions: 3,
  subject: 'ticks-value',
  key: (value) => value.id,
  contract: { name: 'Tick', fields: {}, avroSchema: { type: 'record', name: 'Tick', namespace: 'test', fields: [] }, parse: (value) => value as Tick, parseText: () => ({ timestamp: 0, id: '' }) },
};

// A fixed 100-byte value per record: the byte budget is then easy to reason about.
const encodeSync = () => Buffer.alloc(100);
const sink: EventSink<Tick> = { topic, schemaId: 1, encodeSync, encode: async () => encodeSync() };

/** Keeps what the pump writes, in order (the writer is the pump's own interface, not Kafka). */
class RecordingWriter implements RecordWriter {
  readonly writes: { topicMessages: TopicRecords[]; reached?: SourceReached }[] = [];
  async write(topicMessages: TopicRecords[], reached?: SourceReached): Promise<void> {
    this.writes.push({ topicMessages, reached });
  }
}

function ticks(count: number) {
  return Array.from({ length: count }, (_, index) => {
    const value = { timestamp: 1_000 + index, id: `k${index % 7}` };
    return { position: String(index + 1), eventTime: value.timestamp, admit: () => ({ accepted: true as const, value }) };
  });
}

describe('pump batching', () => {
  it('cuts a batch at maxBatchBytes before batchSize, keeping every record once and in order', async () => {
    const writer = new RecordingWriter();
    const summary = await pump(ticks(50), sink, { writer, deadLetterTopic: 'dlq', source: 'test', pace: { kind: 'asap' }, endOfInput: true, batchSize: 1000, maxBatchBytes: 1000 });
    const data = writer.writes.filter((write) => write.reached);
    // 100-byte values plus 2-byte keys: the tenth record takes a batch past 1,000 bytes.
    expect(data.map((write) => write.topicMessages[0].messages.length)).toEqual([10, 10, 10, 10, 10]);
    expect(data.map((write) => write.reached?.read)).toEqual([10, 20, 30, 40, 50]);
    expect(summary).toMatchObject({ read: 50, produced: 50, deadLettered: 0, reconciled: true, producedBytes: 50 * 102 });
  });

  it('cuts at batchSize when records are small', async () => {
    const writer = new RecordingWriter();
    await pump(ticks(25), sink, { writer, deadLetterTopic: 'dlq', source: 'test', pace: { kind: 'asap' }, endOfInput: false, batchSize: 10 });
    expect(writer.writes.filter((write) => write.reached).map((write) => write.topicMessages[0].messages.length)).toEqual([10, 10, 5]);
  });

  it('sends due heartbeats in the same write as the pending batch, after its records, and commits it', async () => {
    const writer = new RecordingWriter();
    // Heartbeats due at every item: from the second on, one rides with the batch holding the previous item.
    await pump(ticks(3), sink, { writer, deadLetterTopic: 'dlq', source: 'test', pace: { kind: 'asap' }, endOfInput: false, batchSize: 1000, heartbeatIntervalMs: 0 });
    const riding = writer.writes.filter((write) => write.reached?.commit);
    expect(riding.map((write) => write.reached?.read)).toEqual([1, 2]);
    for (const [index, write] of riding.entries()) {
      const [events, heartbeats] = write.topicMessages;
      expect(write.reached).toMatchObject({ produced: 1, deadLettered: 0 });
      expect(events.messages.some((message) => heartbeatEventTime(message.headers) !== undefined)).toBe(false);
      expect(heartbeats.topic).toBe('ticks');
      // The heartbeat of the record's partition is at the record's own time: it is in the write, not yet acknowledged.
      const partition = partitionOfKey(`k${index}`, topic.partitions);
      const own = heartbeats.messages.find((message) => message.partition === partition);
      expect(own && heartbeatEventTime(own.headers)).toBe(1_000 + index);
    }
    expect(writer.writes.filter((write) => !write.reached && write.topicMessages.length > 0)).toHaveLength(1); // the closing round only
  });

  it('keeps filling a lingering batch while a send is in flight, instead of waiting for it with a small batch', async () => {
    // The first write is acknowledged only once the source has run out: a round trip far longer than the linger.
    let release = () => undefined as void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    class GatedWriter extends RecordingWriter {
      override async write(topicMessages: TopicRecords[], reached?: SourceReached): Promise<void> {
        await super.write(topicMessages, reached);
        await gate;
      }
    }
    function* source() {
      yield* ticks(10);
      release();
    }
    const writer = new GatedWriter();
    await pump(source(), sink, { writer, deadLetterTopic: 'dlq', source: 'test', pace: { kind: 'asap' }, endOfInput: false, batchSize: 1000, lingerMs: 0 });
    expect(writer.writes.filter((write) => write.reached).map((write) => write.topicMessages[0].messages.length)).toEqual([1, 9]);
  });

  it('reads on while a send is slow, up to MAX_WAITING_BATCHES full batches, and sends them one at a time in order', async () => {
    const batchSize = 5;
    let read = 0;
    let inFlight = 0;
    let overlapped = false;
    const releases: Array<() => void> = [];
    class SlowWriter extends RecordingWriter {
      override async write(topicMessages: TopicRecords[], reached?: SourceReached): Promise<void> {
        inFlight += 1;
        overlapped ||= inFlight > 1;
        await super.write(topicMessages, reached);
        await new Promise<void>((resolve) => releases.push(resolve));
        inFlight -= 1;
      }
    }
    function* source() {
      for (const item of ticks(100)) {
        read += 1;
        yield item;
      }
    }
    const writer = new SlowWriter();
    const done = pump(source(), sink, { writer, deadLetterTopic: 'dlq', source: 'test', pace: { kind: 'asap' }, endOfInput: false, batchSize });
    await new Promise((resolve) => setTimeout(resolve, 50));
    // The first send is held: one batch in flight, MAX_WAITING_BATCHES waiting, one full one queued that waits for room.
    expect(writer.writes).toHaveLength(1);
    expect(read).toBe((MAX_WAITING_BATCHES + 2) * batchSize);
    let finished = false;
    void done.finally(() => (finished = true));
    while (!finished) {
      releases.shift()?.();
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await done;
    expect(overlapped).toBe(false);
    const data = writer.writes.filter((write) => write.reached);
    expect(data.map((write) => write.reached?.read)).toEqual(Array.from({ length: 20 }, (_, index) => (index + 1) * batchSize));
  });

  it('sends an item encoded already (a worker thread did it) as it is, and dead-letters one out of the disorder bound with its decoded value', async () => {
    const item = (timestamp: number, position: string) => {
      const value = { timestamp, id: 'k1' };
      const encoded = { timestamp, key: Buffer.from('k1'), value: Buffer.from(`bytes of ${position}`), partition: 2 };
      return { position, eventTime: timestamp, encoded, admit: () => ({ accepted: true as const, value }) };
    };
    const writer = new RecordingWriter();
    const summary = await pump([item(5_000, '1'), item(1_000, '2')], sink, { writer, deadLetterTopic: 'dlq', source: 'test', pace: { kind: 'asap' }, endOfInput: false, maxDisorderMs: 1_000 });
    expect(summary).toMatchObject({ read: 2, produced: 1, deadLettered: 1, reconciled: true });
    const written = writer.writes.flatMap((write) => write.topicMessages);
    expect(written.find((entry) => entry.topic === 'ticks')?.messages[0]).toEqual({ key: Buffer.from('k1'), value: Buffer.from('bytes of 1'), partition: 2 });
    const letter = written.find((entry) => entry.topic === 'dlq')?.messages[0];
    expect(JSON.parse(letter?.value?.toString() ?? 'null')).toEqual({ timestamp: 1_000, id: 'k1' });
  });

  it('writes the same records in the same writes whether a source hands its items one by one or in chunks of any sizes', async () => {
    const options = { deadLetterTopic: 'dlq', source: 'test', pace: { kind: 'asap' as const }, endOfInput: true, batchSize: 7 };
    const items = ticks(60);
    const oneByOne = new RecordingWriter();
    await pump(items, sink, { ...options, writer: oneByOne });
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 60 }), async (sizes) => {
        async function* chunks() {
          for (let start = 0, index = 0; start < items.length; start += sizes[index % sizes.length] ?? 1, index += 1) yield items.slice(start, start + (sizes[index % sizes.length] ?? 1));
        }
        const chunked = new RecordingWriter();
        await pump(chunks(), sink, { ...options, writer: chunked });
        expect(chunked.writes).toEqual(oneByOne.writes);
      }),
      { numRuns: 50 },
    );
  });
});
