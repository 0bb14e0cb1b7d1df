export function warehouse(): string {
  return 'warehouse';
}
