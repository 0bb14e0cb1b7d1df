import { readFileSync } from 'node:fs';
import { warehouseTables } from '@pipeline/contracts';
import { WAREHOUSE_DOCS_PATH } from './generate-warehouse-docs';
import { renderWarehouseDocs, undocumentedColumns, unusedMeanings } from './warehouse-docs';

describe('docs/warehouse.md', () => {
  it('is what the contracts generate (run npm run warehouse:docs after changing a contract)', () => {
    expect(readFileSync(WAREHOUSE_DOCS_PATH, 'utf8')).toBe(renderWarehouseDocs());
  });

  it('documents every table and every column', () => {
    const docs = renderWarehouseDocs();
    for (const table of warehouseTables) {
      expect(docs).toContain(`### \`${table.name}\``);
      for (const column of table.columns) expect(docs).toContain(`| \`${column.column}\` | \`${column.sql}\` |`);
    }
  });

  it('has a meaning for every column (a contract doc or COLUMN_MEANINGS) and no stale meaning', () => {
    expect(undocumentedColumns()).toEqual([]);
    expect(unusedMeanings()).toEqual([]);
  });
});
