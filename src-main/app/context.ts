/**
 * What a command, the daemon or the console needs to reach the engine: the config (loaded on
 * first use), $COFRE_HOME, the catalog, the clock and the environment. Hosts build one context
 * and pass it to the services; services never read process globals themselves.
 */
import { loadConfig, resolveConfigPath, type LoadedConfig } from '../config/load.js';
import { ensureHome } from '../config/paths.js';
import { Catalog } from '../catalog/catalog.js';
import type { Config } from '../config/schema.js';

export interface ContextOptions {
  configFlag?: string | undefined;
  env?: NodeJS.ProcessEnv;
  now?: () => Date;
  actor?: string;
  /** asks the operator for a secret (the CLI on a terminal); hosts without one rely on env vars */
  askSecret?: (question: string, what: string) => Promise<string>;
}

export class AppContext {
  readonly env: NodeJS.ProcessEnv;
  readonly now: () => Date;
  /** who is acting, for the audit log */
  readonly actor: string;
  readonly askSecret: ((question: string, what: string) => Promise<string>) | undefined;
  readonly configPath: string;
  private readonly configFlag: string | undefined;
  private loaded: LoadedConfig | undefined;
  private catalogInstance: Catalog | undefined;

  constructor(opts: ContextOptions = {}) {
    this.env = opts.env ?? process.env;
    this.now = opts.now ?? (() => new Date());
    this.configFlag = opts.configFlag;
    this.askSecret = opts.askSecret;
    this.configPath = resolveConfigPath({ flag: opts.configFlag, env: this.env });
    this.actor = opts.actor ?? `${this.env['USER'] ?? this.env['USERNAME'] ?? 'unknown'}@cli`;
  }

  get config(): Config {
    this.loaded ??= loadConfig({ flag: this.configFlag, env: this.env });
    return this.loaded.config;
  }

  /** Re-reads the config file (after an edit by the console or a text editor). */
  reloadConfig(): Config {
    this.loaded = undefined;
    return this.config;
  }

  get home(): string {
    return ensureHome(this.env);
  }

  get catalog(): Catalog {
    this.catalogInstance ??= Catalog.open(this.home, { now: this.now });
    return this.catalogInstance;
  }

  close(): void {
    this.catalogInstance?.close();
    this.catalogInstance = undefined;
  }
}
