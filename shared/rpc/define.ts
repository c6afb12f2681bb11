/**
 * Building blocks of the RPC contract: a method has an input and an output schema, an event has
 * a payload schema. Contract files per domain use these; `contract.ts` merges them.
 */
import * as z from 'zod';

export interface MethodSpec<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  readonly input: I;
  readonly output: O;
}

export function method<I extends z.ZodType, O extends z.ZodType>(input: I, output: O): MethodSpec<I, O> {
  return { input, output };
}

/** Parameters of a catalog message (shared/i18n/catalog.ts): names, numbers, sizes. */
export const MessageParamsSchema = z.record(z.string(), z.union([z.string(), z.number()]));

/** The console's text for a line, by catalog key; unknown keys fall back to generic words. */
export const SaidFields = { key: z.string().optional(), params: MessageParamsSchema.optional() };

/**
 * Error carried as a value across the boundary: code is stable, message/hint are the engine's
 * English (technical detail), key/params name the console's text in shared/i18n/catalog.ts.
 */
export const ErrorInfoSchema = z.object({
  code: z.string(),
  message: z.string(),
  hint: z.string().optional(),
  ...SaidFields,
});
export type RpcError = z.infer<typeof ErrorInfoSchema>;

export type Result<T> = { ok: true; value: T } | { ok: false; error: RpcError };

export const IsoDate = z.string().min(1);
export const Bytes = z.number().nonnegative();
export const Empty = z.object({}).default({});
