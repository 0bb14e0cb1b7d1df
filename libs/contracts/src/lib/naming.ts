/** camelCase contract field → snake_case column, the convention BI users expect. */
export function columnName(fieldName: string): string {
  return fieldName.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}
