/**
 * The flags node was started with, on its command line and in
 * `NODE_OPTIONS`, as one string: a setting of the collector that one of them
 * makes is left to rule.
 */
export const givenNodeFlags = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].join(' ');
