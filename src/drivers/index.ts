/**
 * The drivers by site-configuration kind, as this board's build includes them
 * (boards/<board>.ts lists them; the build generates virtual:drivers). Each
 * one checks its options and throws an error naming the field when they are wrong.
 */
import type { DriverContext, Sensor } from "./common";
import drivers from "virtual:drivers";

export type Factory = (conf: any, ctx: DriverContext) => Sensor;

export const DRIVERS: { [kind: string]: Factory } = drivers;
