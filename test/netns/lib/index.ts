/** The netns test layer: labs of namespaces, and drivers for BIRD 2, BIRD 1.6, FRR 8, GoBGP 3 and OpenBGPD 7 inside them. */
export * from './netns.js';
export * from './daemon.js';
export * from './bird.js';
export * from './bird1.js';
export * from './frr.js';
export * from './gobgp.js';
export * from './openbgpd.js';
export { tailFile, describeLogs } from './files.js';
export * from './wren.js';
