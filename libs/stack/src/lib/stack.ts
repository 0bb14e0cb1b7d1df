export function stack(): string {
  return 'stack';
}
