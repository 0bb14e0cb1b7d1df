/**
 * npm run warehouse:docs: writes docs/warehouse.md from the contracts.
 * npm run warehouse:docs -- --check: exits 1 when the committed file is out of date.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderWarehouseDocs } from './warehouse-docs';

export const WAREHOUSE_DOCS_PATH = join(__dirname, '..', '..', '..', '..', 'docs', 'warehouse.md');

function main(check: boolean): void {
  const generated = renderWarehouseDocs();
  const committed = existsSync(WAREHOUSE_DOCS_PATH) ? readFileSync(WAREHOUSE_DOCS_PATH, 'utf8') : undefined;
  if (check) {
    if (committed !== generated) {
      console.error(`${WAREHOUSE_DOCS_PATH} is out of date: run npm run warehouse:docs`);
      process.exit(1);
    }
    console.log(`${WAREHOUSE_DOCS_PATH} is up to date`);
    return;
  }
  writeFileSync(WAREHOUSE_DOCS_PATH, generated);
  console.log(committed === generated ? `${WAREHOUSE_DOCS_PATH} unchanged` : `wrote ${WAREHOUSE_DOCS_PATH}`);
}

if (require.main === module) main(process.argv.includes('--check'));
