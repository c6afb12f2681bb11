/**
 * The file browser of a set (format 2: its index, read and held by the engine; the console gets
 * one folder or one search page at a time), the other versions of a path across complete sets,
 * and "salvar no computador" (a save dialog in the desktop app, a one-time download link in a
 * browser console).
 */
import * as z from 'zod';
import { method, IsoDate, Bytes } from '../define.js';

export const FileTypeSchema = z.enum(['file', 'dir', 'symlink', 'hardlink', 'other']);

export const FileEntrySchema = z.object({
  /** absolute path on the server */
  path: z.string(),
  /** the last component of the path */
  name: z.string(),
  type: FileTypeSchema,
  size: Bytes,
  mtime: IsoDate,
  /** the files source that holds it */
  source: z.string(),
});

export const FILES_PAGE_MAX = 500;

export const FilesListInputSchema = z.object({
  setId: z.string().min(1),
  /** absolute folder whose children are listed (the set's top folders when left out) */
  dir: z.string().startsWith('/').optional(),
  /** search by name (part of it, case and accents ignored) under `dir` (or the whole set), at any depth */
  query: z.string().max(200).optional(),
  minSize: Bytes.optional(),
  maxSize: Bytes.optional(),
  modifiedAfter: IsoDate.optional(),
  modifiedBefore: IsoDate.optional(),
  page: z.number().int().min(1).default(1),
  pageSize: z.number().int().min(1).max(FILES_PAGE_MAX).default(100),
});

export const FilesListSchema = z.object({
  setId: z.string(),
  /** index: browsable; archive: a format-1 set, one archive per source, restored whole */
  format: z.enum(['index', 'archive']),
  dir: z.string().optional(),
  /** the folder above `dir` (undefined at the top) */
  parent: z.string().optional(),
  entries: z.array(FileEntrySchema),
  total: z.number().int().nonnegative(),
  page: z.number().int().min(1),
  pages: z.number().int().min(1),
  /** files sources of the set (for the archive message) */
  sources: z.array(z.string()),
});

export const FileVersionSchema = z.object({
  setId: z.string(),
  plan: z.string(),
  storage: z.string(),
  createdAt: IsoDate,
  type: FileTypeSchema,
  size: Bytes,
  mtime: IsoDate,
  /** the same content as in the set the technician is looking at */
  sameContent: z.boolean(),
  /** this is the set the technician is looking at */
  current: z.boolean(),
});

export const FileVersionsSchema = z.object({
  path: z.string(),
  versions: z.array(FileVersionSchema),
  /** complete sets that could not be looked into (format 1 archives, unreadable index) */
  skipped: z.array(z.object({ setId: z.string(), reason: z.enum(['archive', 'unreadable']) })),
});

export const FilesSaveInputSchema = z.object({ setId: z.string().min(1), path: z.string().startsWith('/') });

export const FilesSaveSchema = z.discriminatedUnion('kind', [
  /** desktop app: written where the technician chose in the save dialog */
  z.object({ kind: z.literal('saved'), savedTo: z.string(), bytes: Bytes }),
  /** browser console: fetch this one-time URL (same origin, session cookie) to download it */
  z.object({ kind: z.literal('download'), url: z.string(), name: z.string() }),
  /** the technician closed the save dialog */
  z.object({ kind: z.literal('cancelled') }),
]);

export const filesMethods = {
  'files.list': method(FilesListInputSchema, FilesListSchema),
  'files.versions': method(z.object({ setId: z.string().min(1), path: z.string().startsWith('/') }), FileVersionsSchema),
  'files.save': method(FilesSaveInputSchema, FilesSaveSchema),
};

export type FileType = z.infer<typeof FileTypeSchema>;
export type FileEntry = z.infer<typeof FileEntrySchema>;
export type FilesListInput = z.infer<typeof FilesListInputSchema>;
export type FilesList = z.infer<typeof FilesListSchema>;
export type FileVersion = z.infer<typeof FileVersionSchema>;
export type FileVersions = z.infer<typeof FileVersionsSchema>;
export type FilesSaveInput = z.infer<typeof FilesSaveInputSchema>;
export type FilesSave = z.infer<typeof FilesSaveSchema>;
