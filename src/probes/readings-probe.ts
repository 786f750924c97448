/**
 * Test probe, never flashed: the sim board's firmware exactly as main.ts runs
 * it, with every reading and event recorded for the tests
 * (readings-record.ts). Imports run in order: the recording sinks first.
 */
import "./readings-record";
import "../main";
