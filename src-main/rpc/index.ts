/**
 * The console's RPC endpoint over the engine: handlers + dispatcher + engine events pushed to
 * every connected console. Hosts (Electron, `cofre ui`, daemon) connect transports to it.
 */
import { createRpcServer, type RpcServer, type RpcServerOptions } from './server.js';
import { createHandlers } from './handlers/index.js';
import type { EngineServices } from './services.js';

export interface ConsoleRpc extends RpcServer {
  /** Stops forwarding engine events. */
  dispose(): void;
}

export function createConsoleRpc(services: EngineServices, options: RpcServerOptions = {}): ConsoleRpc {
  const server = createRpcServer(createHandlers(services), options);
  const unsubscribe = services.events.subscribe((e) => server.emit(e.event, e.payload));
  return { ...server, dispose: unsubscribe };
}

export type { EngineServices, CallContext, EngineEvent } from './services.js';
export { createRpcServer, type Handlers, type RpcServer, type RpcServerOptions } from './server.js';
