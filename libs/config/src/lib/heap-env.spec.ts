import { ConfigValidationError, parseEnv } from './env-schema';
import { heapEnv, heapEnvDefaulting } from './heap-env';

describe('HEAP_GROWTH_PERCENT', () => {
  it('defaults to 100 (the heap may double past its live data) and accepts 0 for V8 own choice', () => {
    expect(parseEnv('svc', heapEnv, {}).HEAP_GROWTH_PERCENT).toBe(100);
    expect(parseEnv('svc', heapEnv, { HEAP_GROWTH_PERCENT: '0' }).HEAP_GROWTH_PERCENT).toBe(0);
    expect(parseEnv('svc', heapEnv, { HEAP_GROWTH_PERCENT: '50' }).HEAP_GROWTH_PERCENT).toBe(50);
  });

  it("takes a service's own default, still overridden by the variable", () => {
    const own = heapEnvDefaulting({ growthPercent: 50, pretenuring: true });
    expect(parseEnv('svc', own, {}).HEAP_GROWTH_PERCENT).toBe(50);
    expect(parseEnv('svc', own, { HEAP_GROWTH_PERCENT: '100' }).HEAP_GROWTH_PERCENT).toBe(100);
  });

  it.each(['-1', '401', '1.5', 'lots'])('refuses %s with the variable named', (value) => {
    expect(() => parseEnv('svc', heapEnv, { HEAP_GROWTH_PERCENT: value })).toThrow(ConfigValidationError);
    expect(() => parseEnv('svc', heapEnv, { HEAP_GROWTH_PERCENT: value })).toThrow(/HEAP_GROWTH_PERCENT/);
  });
});

describe('HEAP_PRETENURING', () => {
  it("defaults to the service's choice (on for most), overridden by the variable", () => {
    expect(parseEnv('svc', heapEnv, {}).HEAP_PRETENURING).toBe(true);
    expect(parseEnv('svc', heapEnv, { HEAP_PRETENURING: 'false' }).HEAP_PRETENURING).toBe(false);
    const ingest = heapEnvDefaulting({ growthPercent: 50, pretenuring: false });
    expect(parseEnv('svc', ingest, {}).HEAP_PRETENURING).toBe(false);
    expect(parseEnv('svc', ingest, { HEAP_PRETENURING: 'true' }).HEAP_PRETENURING).toBe(true);
  });

  it.each(['yes', '0', 'TRUE', ''])('refuses %j with the variable named', (value) => {
    expect(() => parseEnv('svc', heapEnv, { HEAP_PRETENURING: value })).toThrow(/HEAP_PRETENURING/);
  });
});
