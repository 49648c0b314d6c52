// Public surface of the wire layer: re-exports every codec, constant, error and helper.
export * from './constants.js';
export * from './errors.js';
export type { Codec } from './codec.js';
export * from './mac.js';
export * from './ethernet.js';
export * from './header.js';
export * from './ata-arg.js';
export * from './config-arg.js';
export * from './mask-arg.js';
export * from './reserve-arg.js';
export * from './identify.js';
export * from './frame.js';
export * from './frame-header.js';
export * from './address.js';
