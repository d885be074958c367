/**
 * The flags node was started with, on its command line and in
 * `NODE_OPTIONS`, as one string: a setting of the collector that one of them
 * makes is left to rule.
 */
export const givenNodeFlags = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].join(' ');

/**
 * Whether node was given a size for V8's young generation
 * (`--max-semi-space-size` and the like): then the commands neither keep it
 * small nor collect it by the bytes received.
 */
export const youngGenerationSizeGiven = givenNodeFlags.includes('semi-space');
