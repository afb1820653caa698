/** The lab kit: namespaces, links and tracked processes (netns.ts), bounded waits (wait.ts), log tails (files.ts), paths (paths.ts). */
export * from './netns.js';
export * from './wait.js';
export * from './files.js';
export * from './paths.js';
