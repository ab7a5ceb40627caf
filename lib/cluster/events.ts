/**
 * Kinds of the cluster's events, as pushed on its `EventQueue` with an integer argument.
 *
 * @module
 */

/**
 * A session's first turn at its time in the workload's schedule, which an open-loop warm-up can delay.
 * Arg: the request.
 */
export const ARRIVE = 0;
/** A request ready now (a shifted arrival, a next turn). Arg: the request. */
export const READY = 1;
/** An engine's pass ends. Arg: the engine id. */
export const PASS_END = 2;
/** A KV hand-off lands at its decode rank (without link sharing). Arg: the request. */
export const HANDOFF = 3;
/** A shared link may have finished transfers. Arg: the link key (the source engine id). */
export const LINK = 4;
/** A starting worker becomes active. Arg: the engine id of its first rank. */
export const STARTUP = 5;
/**
 * A dispatched request leaves the front end for the router (after the first stage's `frontend` latency).
 * Arg: the request.
 */
export const ROUTE = 6;
/**
 * An engine's copies to or from its host KV tier may have landed. Arg: the engine id, or −1 for the lower
 * tiers' copies (shared by every engine).
 */
export const COPIES = 7;
