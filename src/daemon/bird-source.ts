/** What the BIRD-compatible sockets (birdsock/) read from the running daemon. */
import type { BirdSource } from '../birdsock/answer.js';
import { hostInterfaces } from '../birdsock/interfaces.js';
import type { Config } from '../config/types.js';
import type { Speaker } from './speaker.js';

/** `config`: the configuration in force (a refused reload keeps the previous one). */
export function birdSource(speaker: Speaker, config: () => Config, stopping: () => boolean): BirdSource {
  return {
    config,
    peers: () => speaker.peerStatuses(),
    routes: (prefix) => speaker.routes(prefix),
    kernel: () => speaker.kernelStatus(),
    recovery: () => speaker.recovery(),
    memory: () => process.memoryUsage(),
    interfaces: hostInterfaces,
    stopping,
  };
}
