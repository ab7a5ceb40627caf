/**
 * The command lines: `replay` (the reference's `python -m dynamo.replay`) and `aisimulate` (its AISimulate front
 * end, `predict` and `recommend`).
 *
 * @module
 */
export { type Io, main } from "./main.ts";
export { CLI_FLAGS, type Command, type OutputOptions, parseCommand } from "./flags.ts";
export { USAGE } from "./usage.ts";
export { aisimulate } from "./aisimulate.ts";
export { AISIMULATE_USAGE, type AisimulateArgs } from "./aisimulate_args.ts";
