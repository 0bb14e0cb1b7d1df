export function windowing(): string {
  return 'windowing';
}
