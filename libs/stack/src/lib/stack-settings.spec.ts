import { join } from 'node:path';
import { LOCAL_DEFAULT_PASSWORDS } from '@pipeline/config';
import { findRepoRoot, stackSettings } from './stack-settings';

describe('stackSettings', () => {
  it('defaults to the standard ports and a .stack folder at the repository root', () => {
    const settings = stackSettings({});
    expect(settings.stackDir).toBe(join(findRepoRoot(), '.stack'));
    expect([settings.kafkaPort, settings.kafkaControllerPort, settings.registryPort, settings.postgresPort]).toEqual([9092, 9093, 8081, 5432]);
  });

  it("signs the services in as the owner login with the local default password production refuses, and itself in as a separate superuser", () => {
    const settings = stackSettings({});
    expect(settings.databasePassword).toBe(LOCAL_DEFAULT_PASSWORDS.databaseOwner);
    expect(settings.databaseAdminUser).not.toBe(settings.databaseUser);
  });

  it('moves ports by env and rejects a bad one by name', () => {
    expect(stackSettings({ STACK_KAFKA_PORT: '19092' }).kafkaPort).toBe(19092);
    expect(() => stackSettings({ STACK_POSTGRES_PORT: '70000' })).toThrow(/STACK_POSTGRES_PORT must be a TCP port/);
  });

  it('keeps the jars in the stack folder unless STACK_DIST_DIR shares another stack\'s', () => {
    expect(stackSettings({ STACK_DIR: '/tmp/chaos-stack' }).distDir).toBe('/tmp/chaos-stack/dist');
    expect(stackSettings({ STACK_DIR: '/tmp/chaos-stack', STACK_DIST_DIR: '/srv/main/.stack/dist' }).distDir).toBe('/srv/main/.stack/dist');
  });
});
