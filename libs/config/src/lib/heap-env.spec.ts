import { ConfigValidationError, parseEnv } from './env-schema';
import { heapEnv, heapEnvDefaulting } from './heap-env';

describe('HEAP_GROWTH_PERCENT', () => {
  it('defaults to 100 (the heap may double past its live data) and accepts 0 for V8 own choice', () => {
    expect(parseEnv('svc', heapEnv, {}).HEAP_GROWTH_PERCENT).toBe(100);
    expect(parseEnv('svc', heapEnv, { HEAP_GROWTH_PERCENT: '0' }).HEAP_GROWTH_PERCENT).toBe(0);
    expect(parseEnv('svc', heapEnv, { HEAP_GROWTH_PERCENT: '50' }).HEAP_GROWTH_PERCENT).toBe(50);
  });

  it("takes a service's own default, still overridden by the variable", () => {
    expect(parseEnv('svc', heapEnvDefaulting(50), {}).HEAP_GROWTH_PERCENT).toBe(50);
    expect(parseEnv('svc', heapEnvDefaulting(50), { HEAP_GROWTH_PERCENT: '100' }).HEAP_GROWTH_PERCENT).toBe(100);
  });

  it.each(['-1', '401', '1.5', 'lots'])('refuses %s with the variable named', (value) => {
    expect(() => parseEnv('svc', heapEnv, { HEAP_GROWTH_PERCENT: value })).toThrow(ConfigValidationError);
    expect(() => parseEnv('svc', heapEnv, { HEAP_GROWTH_PERCENT: value })).toThrow(/HEAP_GROWTH_PERCENT/);
  });
});
