import { sinkRoutes, type Contract, type FieldShape, type ShapeValue, type SqlStatement, type TableColumn, type TopicBinding, type TopicDefinition, type TopicNamespace } from '@pipeline/contracts';

/** A row of any contract, as the sink handles it (its type erased). */
export type LandingRow = ShapeValue<FieldShape>;

/**
 * What the warehouse uses of a table, with the row type erased. Not generic on purpose: a
 * WarehouseTable of any contract fits it member by member, so tables of different contracts
 * share one list (WarehouseTable<S> → WarehouseTable<FieldShape> is not reliably assignable,
 * because its natural key is typed by keyof S).
 */
export interface LandingTable {
  readonly name: string;
  readonly doc: string;
  readonly contract: Contract<FieldShape>;
  readonly naturalKey: readonly string[];
  readonly columns: readonly TableColumn[];
  readonly onConflict: string;
  keyOf(row: LandingRow): string;
  createStatements(): string[];
  upsert(rows: readonly LandingRow[]): SqlStatement;
}

/** A topic the sink consumes and the table its records land in (the catalog's sinkRoutes fit). */
export interface LandingRoute {
  readonly topic: TopicBinding<FieldShape>;
  readonly table: LandingTable;
}

/** The catalog's sink routes (or others) with their topics resolved in a namespace: what the sink consumes. */
export function landingRoutesIn(topics: TopicNamespace, routes: readonly { topic: TopicDefinition<FieldShape>; table: LandingTable }[] = sinkRoutes): LandingRoute[] {
  return routes.map((route) => ({ topic: topics.bind(route.topic), table: route.table }));
}
