// Public surface of the NBD client: the client, URIs, export probing and the error type.
export { NbdClient, type NbdClientOptions, type NbdClientStats, type ClientState } from './client.js';
export { NbdClientError } from './client-errors.js';
export { probeNbdExport, type ExportDetails } from './client-handshake.js';
export { isNbdUri, parseNbdUri, type NbdEndpoint, type NbdTarget } from './uri.js';
