import type { categoryWindowStats, ContractValue, sensorWindowStats } from '@pipeline/contracts';

/** The tests' window start, and a minute. */
export const T0 = Date.parse('2026-03-01T10:00:00Z');
export const MINUTE = 60_000;

export type SensorStats = ContractValue<typeof sensorWindowStats>;

/** One sensor's 1-minute window statistics, valid under the contract; `overrides` for the case at hand. */
export const sensorStats = (sensorId: string, windowStart: number, readingCount: number, overrides: Partial<SensorStats> = {}): SensorStats => ({
  sensorId,
  windowStart,
  windowEnd: windowStart + MINUTE,
  windowMinutes: 1,
  readingCount,
  avgTemperature: 21.123456,
  minTemperature: 19.5,
  maxTemperature: 23.25,
  avgHumidity: 40.5,
  minHumidity: 38,
  maxHumidity: 43.1,
  avgPressure: 1013.25,
  minPressure: 1012.9,
  maxPressure: 1013.6,
  minBatteryLevel: 0.42,
  temperatureTrend: 'increasing',
  ...overrides,
});

export type CategoryStats = ContractValue<typeof categoryWindowStats>;

/** One category's 1-minute clickstream window, valid under the contract; a null conversion is a window without carts. */
export const categoryStats = (category: string, purchases: number, conversion: number | null): CategoryStats => ({
  category,
  windowStart: T0,
  windowEnd: T0 + MINUTE,
  windowMinutes: 1,
  eventCount: 10,
  pageViews: 6,
  addToCarts: 2,
  removeFromCarts: 0,
  checkouts: 1,
  purchases,
  distinctSessions: 3,
  revenue: 199.99,
  cartToPurchaseConversion: conversion,
});

/** The database of `databaseUrl`, signed in as another login. */
export function urlAs(databaseUrl: string, user: string, password: string): string {
  const url = new URL(databaseUrl);
  url.username = user;
  url.password = encodeURIComponent(password);
  return url.toString();
}

/** Polls `condition` until it holds; fails naming `what` after `timeoutMs`. */
export async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
