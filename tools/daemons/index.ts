/** The daemon drivers: config renderers, start/stop and readers for BIRD 2, BIRD 1.6, FRR 8, GoBGP 3, OpenBGPD 7 and wren in a lab's namespaces. */
export * from './daemon.js';
export * from './bird.js';
export * from './bird1.js';
export * from './frr.js';
export * from './gobgp.js';
export * from './openbgpd.js';
export * from './wren.js';
export * from './etcd.js';
export * from './wren-datastore.js';
