import { startSshd } from './sshd.js';
import { connect } from '../../src-main/remote/index.js';
const s = await startSshd({ extraConfig: [] });
const h = await connect({ name: 'x', host: s.host, port: s.port, user: s.user, privateKeyFile: s.privateKeyPath, hostKey: s.hostKeyFingerprint });
const p = h.exec('sleep 5; echo done');
p.stdout.resume();
const t0 = Date.now();
setTimeout(() => p.cancel(), 300);
try { console.log(await p.done); } catch (e) { console.log('rejected', (e as Error).message); }
console.log('after', Date.now() - t0);
const { readFile } = await import('node:fs/promises');
console.log((await readFile(s.logPath, 'utf8')).split('\n').filter(l => /signal|session|channel/i.test(l)).join('\n'));
h.close();
await s.stop();
