import { ContractViolationError } from '@pipeline/contracts';
import { AvroDecodeError, RegistryUnavailableError, SchemaRegistrationError } from '@pipeline/kafka';
import { classifyFailure, dependencyOf, dependingOn, RecordRejectedError, TransientError } from './failures';

/** The shape TypeORM gives a failed query: the driver's error (with its SQLSTATE) inside. */
function queryFailure(code: string, message: string): Error {
  return Object.assign(new Error(message), { name: 'QueryFailedError', driverError: Object.assign(new Error(message), { code }) });
}

function kafkaError(name: string, type: string | undefined, message: string, retriable = true): Error {
  return Object.assign(new Error(message), { name, type, retriable });
}

describe('the error policy', () => {
  it.each([
    ['undecodable bytes', new AvroDecodeError('t-value', 'writer schema id 7 is not in the registry'), 'decode'],
    ['a contract violation', new ContractViolationError('SensorWindowStats', ['readingCount Too small']), 'contract'],
    ['a numeric overflow (22003)', queryFailure('22003', 'numeric field overflow'), 'database-refused'],
    ['a not-null violation (23502)', queryFailure('23502', 'null value in column "x"'), 'database-refused'],
    ['an index row too large (54000)', queryFailure('54000', 'index row requires 20032 bytes, maximum size is 8191'), 'database-refused'],
    ['a record Kafka refuses', kafkaError('KafkaJSProtocolError', 'MESSAGE_TOO_LARGE', 'The request included a message larger than the max'), 'kafka-refused'],
    ['a product error that says so', new RecordRejectedError('too-deep', 'nested too deep'), 'too-deep'],
  ])('dead-letters %s', (_what, error, reasonClass) => {
    expect(classifyFailure(error)).toMatchObject({ kind: 'record', reasonClass });
  });

  it('names the SQLSTATE of a refused row in the reason', () => {
    expect(classifyFailure(queryFailure('54000', 'index row requires 20032 bytes')).reason).toContain('SQLSTATE 54000');
  });

  it.each([
    ['a registry outage', new RegistryUnavailableError('t-value', new Error('connect ECONNREFUSED')), 'registry'],
    ['a registry that does not answer at registration', new SchemaRegistrationError('t-value', new Error('socket hang up')), 'registry'],
    ['a registry the client reports as status 400 when it cannot connect', new SchemaRegistrationError('t-value', Object.assign(new Error('Confluent_Schema_Registry - Error, status 400: connect ECONNREFUSED'), { status: 400 })), 'registry'],
    ['two registrations of a new subject racing in Apicurio', new SchemaRegistrationError('t-value', Object.assign(new Error('Compatibility does not match the configuration (BACKWARD != NONE)'), { status: 409 })), 'registry'],
    ['a lost database connection (08006)', queryFailure('08006', 'connection failure'), 'database'],
    ['an administrator shutdown (57P01)', queryFailure('57P01', 'terminating connection due to administrator command'), 'database'],
    ['a serialization failure (40001)', queryFailure('40001', 'could not serialize access'), 'database'],
    ['a deadlock (40P01)', queryFailure('40P01', 'deadlock detected'), 'database'],
    ['a broker that is down', kafkaError('KafkaJSNumberOfRetriesExceeded', undefined, 'Connection error: connect ECONNREFUSED', false), 'kafka'],
    ['a network error', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }), 'network'],
    ['a timeout', new TransientError('timeout', 'no answer within 10000 ms'), 'timeout'],
  ])('retries %s, never dead-letters it', (_what, error, reasonClass) => {
    expect(classifyFailure(error)).toMatchObject({ kind: 'retriable', reasonClass });
  });

  it('recognises a newer owner of the partition', () => {
    expect(classifyFailure(kafkaError('KafkaJSProtocolError', 'INVALID_PRODUCER_EPOCH', 'Producer attempted an operation with an old epoch', false)).kind).toBe('fenced');
    expect(classifyFailure(kafkaError('KafkaJSProtocolError', 'PRODUCER_FENCED', 'There is a newer producer with the same transactionalId', false)).kind).toBe('fenced');
  });

  it('finds the cause KafkaJS wraps', () => {
    const wrapped = Object.assign(new Error('retries exceeded'), { name: 'KafkaJSNumberOfRetriesExceeded', cause: kafkaError('KafkaJSProtocolError', 'PRODUCER_FENCED', 'fenced', false) });
    expect(classifyFailure(wrapped).kind).toBe('fenced');
  });

  it('leaves a failure it cannot place unknown, for the runtime to isolate if it repeats', () => {
    expect(classifyFailure(new TypeError("Cannot read properties of undefined (reading 'x')"))).toMatchObject({ kind: 'unknown', reasonClass: 'unclassified' });
  });

  it('refuses an incompatible schema at registration instead of retrying it', () => {
    expect(classifyFailure(new SchemaRegistrationError('t-value', Object.assign(new Error('incompatible'), { status: 409 }))).kind).toBe('record');
  });

  it('names the dependency an outage is about where the error says so, for start-up to report', () => {
    expect(dependencyOf(kafkaError('KafkaJSConnectionError', undefined, 'Connection error: connect ECONNREFUSED'))).toBe('kafka');
    expect(dependencyOf(new SchemaRegistrationError('t-value', new Error('connect ECONNREFUSED 127.0.0.1:8081')))).toBe('schema registry');
    expect(dependencyOf(queryFailure('57P03', 'the database system is starting up'))).toBe('postgres');
    expect(dependencyOf(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }))).toBeUndefined();
  });

  it('tags an outage of work that calls one dependency with its name, and passes other failures unchanged', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const tagged = await dependingOn('postgres', () => Promise.reject(refused)).catch((error: unknown) => error);
    expect(dependencyOf(tagged)).toBe('postgres');
    expect(classifyFailure(tagged)).toMatchObject({ kind: 'retriable', reasonClass: 'network', reason: 'ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:5432' });
    const refusal = new RecordRejectedError('contract', 'bad row');
    await expect(dependingOn('postgres', () => Promise.reject(refusal))).rejects.toBe(refusal);
  });
});
