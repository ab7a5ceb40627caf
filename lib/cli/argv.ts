/**
 * Raw argument handling before `parseArgs`: negative numbers kept as values.
 *
 * @module
 */
import { FLAGS } from "./flag_defs.ts";

/**
 * `argv` with each valued flag followed by a negative number joined to it (`--seed -1` → `--seed=-1`), so the
 * number is its value, as the reference's argparse takes it, not an unknown flag.
 */
export function joinNegativeValues(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i], next = argv[i + 1];
    const name = arg.startsWith("--") && !arg.includes("=") ? arg.slice(2) : undefined;
    const valued = name !== undefined && Object.hasOwn(FLAGS, name) &&
      FLAGS[name as keyof typeof FLAGS] === "string";
    if (valued && next !== undefined && /^-(\d|\.\d|inf)/i.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}
