import { Type } from 'avsc';
import { defineContract, field, objectFromText, objectSchema, sensorReading, type ContractValue } from '../index';

/** Field.accepts is a shortcut of the zod parse: wherever it says yes, zod must accept the same value unchanged. */
const every = defineContract({
  name: 'Every',
  namespace: 'test',
  fields: {
    text: field.string({ maxLength: 5 }),
    ratio: field.double({ min: 0, max: 1 }),
    free: field.double(),
    money: field.measure(2),
    count: field.int({ min: 0 }),
    big: field.long(),
    at: field.timestamp(),
    kind: field.enumOf('Kind', ['A', 'B']),
    place: field.record('Place', { lat: field.double({ min: -90, max: 90 }), name: field.nullable(field.string({ maxLength: 3 })) }),
    note: field.nullable(field.string({ maxLength: 4 })),
    level: field.nullable(field.int({ max: 10 })),
  },
});

const valid: ContractValue<typeof every> = { text: 'abc', ratio: 0.5, free: -1e300, money: 12.34, count: 3, big: 2 ** 40, at: 1_700_000_000_000, kind: 'B', place: { lat: 10, name: null }, note: 'n', level: null };

const oddValues: unknown[] = [undefined, null, '', 'x', 'abcdef', 'a\u0000', 0, -1, 1, 1.5, 11, 91, 2 ** 53, -(2 ** 53), 1e20, Number.NaN, Infinity, -Infinity, 'A', 'C', {}, [], true, 253402300800000];

describe('Field.accepts, the quick test before the zod parse', () => {
  it('takes a valid value as it is', () => {
    expect(every.parse(valid)).toBe(valid);
  });

  it('never says yes where zod says no, or where zod would change the value', () => {
    const checked: unknown[] = [];
    for (const name of Object.keys(valid) as Array<keyof typeof valid>) {
      for (const odd of oddValues) checked.push({ ...valid, [name]: odd });
      checked.push({ ...valid, place: { lat: 10 } });
      checked.push({ ...valid, place: { lat: 10, name: null, extra: 1 } });
      const missing: Record<string, unknown> = { ...valid };
      delete missing[name];
      checked.push(missing);
    }
    checked.push({ ...valid, extra: 1 }, Object.assign(Object.create({ inherited: 1 }), valid), [], null, 'text');
    const zodOnly = objectSchema(every.fields, 'value');
    let accepted = 0;
    for (const input of checked) {
      const zod = zodOnly.safeParse(input);
      const parsed = (() => {
        try {
          return { ok: true, data: every.parse(input) };
        } catch (error) {
          return { ok: false, error };
        }
      })();
      expect(parsed.ok).toBe(zod.success);
      if (zod.success) {
        expect(parsed.data).toEqual(zod.data);
        accepted += 1;
      }
    }
    // Both verdicts occur, so the comparison above tested something.
    expect(accepted).toBeGreaterThan(10);
    expect(accepted).toBeLessThan(checked.length - 100);
  });

  it('accepts a decoded Avro record (a class instance whose own keys are the fields)', () => {
    const type = Type.forSchema(sensorReading.avroSchema as unknown as Parameters<typeof Type.forSchema>[0], { omitRecordMethods: true });
    const reading: ContractValue<typeof sensorReading> = { sensorId: 's', timestamp: 1, temperature: 2, humidity: 3, pressure: 1000, location: { latitude: 1, longitude: 2 }, batteryLevel: 0.5 };
    const decoded: unknown = type.fromBuffer(type.toBuffer(reading));
    expect(sensorReading.parse(decoded)).toBe(decoded);
  });
});

/** Field.fromText is a shortcut of the zod text parse: wherever it gives a value, zod gives the same value. */
describe('Field.fromText, the quick path before the zod text parse', () => {
  const textRow = { text: ' abc ', ratio: '0.5', free: '-1e300', money: '12.34', count: '3', big: '1099511627776', at: '1700000000000', kind: 'B', place: { lat: '10', name: '' }, note: 'n', level: ' ' };
  const oddCells: unknown[] = [undefined, null, 1, '', ' ', 'x', ' abc ', 'abcdef', 'a\u0000', '0', '-0', '+5', '-1', '1', '1.', '.5', '1.5', '11', '91', '1e3', '1e999', '12abc', '0x10', 'NaN', 'Infinity', '9007199254740993', '2147483648', 'A', ' B ', 'C', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00', '2024-01-01T00:00:00+01:00', '253402300800000', {}, []];
  const zodText = objectSchema(every.fields, 'text');

  it('converts a valid row as zod does', () => {
    expect(every.parseText(textRow)).toEqual(zodText.parse(textRow));
  });

  it('never gives a value where zod refuses the row or converts it differently', () => {
    const rows: unknown[] = [];
    for (const name of Object.keys(textRow) as Array<keyof typeof textRow>) {
      for (const odd of oddCells) rows.push({ ...textRow, [name]: odd });
      for (const odd of oddCells) rows.push({ ...textRow, place: { lat: odd, name: '' } }, { ...textRow, place: { lat: '1', name: odd } });
      const missing: Record<string, unknown> = { ...textRow };
      delete missing[name];
      rows.push(missing);
    }
    rows.push({ ...textRow, extra: '1' }, { ...textRow, place: { lat: '1', name: '', extra: '1' } }, Object.assign(Object.create({ inherited: '1' }), textRow), [], null, 'text');
    const quick = objectFromText(every.fields);
    let converted = 0;
    let refused = 0;
    for (const row of rows) {
      const zod = zodText.safeParse(row);
      const fast = quick(row);
      if (fast !== undefined) {
        expect({ row, zod: zod.success ? zod.data : 'refused' }).toEqual({ row, zod: fast });
        converted += 1;
      }
      if (!zod.success) refused += 1;
    }
    // Both verdicts occur, so the comparison above tested something.
    expect(converted).toBeGreaterThan(50);
    expect(refused).toBeGreaterThan(50);
  });
});
