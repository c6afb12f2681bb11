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
  'myMissing',
  'myRootNoUser',
  'myFailed',
  'myPortInUse',
  'myLeftoverReused',
  'myLeftoverStopped',
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
  /** the database servers the demo backs up besides the files: 'postgres' and 'mysql' where installed and running */
  databases: z.array(z.string()),
  home: z.string().optional(),
  notices: z.array(DemoNoticeSchema),
});

export const demoMethods = {
  'demo.info': method(Empty, DemoInfoSchema),
};

/** Pushed when the demo's notices change (a database became ready or failed, the first set is made): the same as demo.info. */
export const demoEvents = {
  'demo.changed': DemoInfoSchema,
};

export type DemoNoticeCode = z.infer<typeof DemoNoticeCodeSchema>;
export type DemoNotice = z.infer<typeof DemoNoticeSchema>;
export type DemoInfo = z.infer<typeof DemoInfoSchema>;
