/**
 * Messages on the wire, the same for Electron IPC, the WebSocket and the in-memory transport:
 * `req` (client → server), `res` (answer to a req, by id), `evt` (server → client, pushed).
 */
import * as z from 'zod';
import { ErrorInfoSchema } from './define.js';

export const RequestIdSchema = z.union([z.string().min(1).max(64), z.number().int().nonnegative()]);

export const RequestMessageSchema = z.object({
  t: z.literal('req'),
  id: RequestIdSchema,
  method: z.string().min(1).max(64),
  input: z.unknown().optional(),
});

export const ResultSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), value: z.unknown() }),
  z.object({ ok: z.literal(false), error: ErrorInfoSchema }),
]);

export const ResponseMessageSchema = z.object({
  t: z.literal('res'),
  /** null when the request was too malformed to have an id */
  id: RequestIdSchema.nullable(),
  result: ResultSchema,
});

export const EventMessageSchema = z.object({
  t: z.literal('evt'),
  event: z.string(),
  payload: z.unknown(),
});

export const RpcMessageSchema = z.discriminatedUnion('t', [RequestMessageSchema, ResponseMessageSchema, EventMessageSchema]);

export type RequestId = z.infer<typeof RequestIdSchema>;
export type RequestMessage = z.infer<typeof RequestMessageSchema>;
export type ResponseMessage = z.infer<typeof ResponseMessageSchema>;
export type EventMessage = z.infer<typeof EventMessageSchema>;
export type RpcMessage = z.infer<typeof RpcMessageSchema>;

/** Largest message accepted from the other side (the console's messages are small). */
export const MAX_MESSAGE_BYTES = 1024 * 1024;
