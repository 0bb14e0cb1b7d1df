import { CreateWarehouseTables1767225600000 } from './1767225600000-create-warehouse-tables';
import { GrantWarehouseReader1767225600001 } from './1767225600001-grant-warehouse-reader';
import { BoundColumnsAndWriterRole1767225600002 } from './1767225600002-bound-columns-and-writer-role';

/** The warehouse's migrations in order (classes, not file globs, so they survive bundling). */
export const warehouseMigrations = [CreateWarehouseTables1767225600000, GrantWarehouseReader1767225600001, BoundColumnsAndWriterRole1767225600002];
