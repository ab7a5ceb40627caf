/**
 * The `replay` command line.
 *
 * @module
 */
export { type Io, main } from "./main.ts";
export { CLI_FLAGS, type Command, type OutputOptions, parseCommand } from "./flags.ts";
export { USAGE } from "./usage.ts";
