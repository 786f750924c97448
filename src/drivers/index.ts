/**
 * The drivers by site-configuration kind. Each one checks its options and
 * throws an error naming the field when they are wrong.
 */
import type { DriverContext, Sensor } from "./common";
import { createTrough } from "./trough";

export type Factory = (conf: any, ctx: DriverContext) => Sensor;

export const DRIVERS: { [kind: string]: Factory } = {
  trough: createTrough,
};
