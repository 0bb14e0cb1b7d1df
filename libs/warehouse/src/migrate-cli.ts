/**
 * npm run warehouse:migrate: applies pending warehouse migrations (the sink also does on start) and
 * sets the BI login's password. Reads DATABASE_URL, WAREHOUSE_SCHEMA and WAREHOUSE_BI_READER_PASSWORD
 * from the environment, then .env, then .stack/stack.env (the services' order).
 */
import { loadEnvironment, parseEnv } from '@pipeline/config';
import { migrateWarehouse } from './lib/migrate';
import { warehouseEnv, warehouseSettingsFrom } from './lib/warehouse-settings';

async function main(): Promise<void> {
  const settings = warehouseSettingsFrom(parseEnv('warehouse:migrate', warehouseEnv, loadEnvironment()));
  const applied = await migrateWarehouse(settings);
  console.log(applied.length > 0 ? `schema "${settings.schema}": applied ${applied.join(', ')}` : `schema "${settings.schema}": up to date`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
