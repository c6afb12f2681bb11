/** The demo (`cofre demo`, `npm start`): what it runs and what it could not do, for the console's badge and notices. */
import * as z from 'zod';
import { method, Empty } from '../define.js';

export const DemoNoticeCodeSchema = z.enum([
  'homeNotWritable',
  'pgMissing',
  'pgRootNoUser',
  'pgFailed',
  'portInUse',
  'leftoverReused',
  'leftoverStopped',
  'filesOnly',
  'firstBackup',
  'dbStarting',
]);

export const DemoNoticeSchema = z.object({
  code: DemoNoticeCodeSchema,
  level: z.enum(['info', 'warning']),
  /** English, for the CLI and the "Detalhe técnico" fold */
  message: z.string(),
  params: z.record(z.string(), z.string()),
});

export const DemoInfoSchema = z.object({
  demo: z.boolean(),
  /** what the demo backs up: files always, a database where a PostgreSQL server is installed */
  databases: z.array(z.string()),
  home: z.string().optional(),
  notices: z.array(DemoNoticeSchema),
});

export const demoMethods = {
  'demo.info': method(Empty, DemoInfoSchema),
};

export type DemoNoticeCode = z.infer<typeof DemoNoticeCodeSchema>;
export type DemoNotice = z.infer<typeof DemoNoticeSchema>;
export type DemoInfo = z.infer<typeof DemoInfoSchema>;
