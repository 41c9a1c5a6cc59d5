// Copies keta's web libraries from node_modules (installed by `npm ci` from package-lock.json)
// into web/vendor, and writes web/vendor/MANIFEST: one line per file with the package, its
// version, its licence, the file's SHA-256 and where it came from. No build step: the files
// are the packages' own ES module builds. One change is made, and recorded in the MANIFEST:
// preact/hooks imports the bare name "preact", which a browser cannot resolve without an
// import map (an inline script, which the server's CSP forbids), so it is pointed at
// ./preact.module.js instead.
// Usage: node vendor.mjs          write web/vendor from node_modules
//        node vendor.mjs --check  exit 1 if web/vendor differs from what node_modules gives
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const vendorDir = join(here, '..', '..', 'web', 'vendor');
const modules = join(here, 'node_modules');

// [package, file in the package, name in web/vendor, change]
const files = [
    ['preact', 'dist/preact.module.js', 'preact.module.js', null],
    ['preact', 'hooks/dist/hooks.module.js', 'preact-hooks.module.js',
        ['from"preact"', 'from"./preact.module.js"']],
    ['preact', 'LICENSE', 'LICENSE.preact', null],
    ['htm', 'dist/htm.module.js', 'htm.module.js', null],
    ['htm', 'LICENSE', 'LICENSE.htm', null],
    ['uplot', 'dist/uPlot.esm.js', 'uPlot.esm.js', null],
    ['uplot', 'dist/uPlot.min.css', 'uPlot.min.css', null],
    ['uplot', 'LICENSE', 'LICENSE.uplot', null],
];

export const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');

function derive() {
    const out = [];
    for (const [pkg, from, to, change] of files) {
        const meta = JSON.parse(readFileSync(join(modules, pkg, 'package.json'), 'utf8'));
        let data = readFileSync(join(modules, pkg, from));
        let note = 'unchanged';
        if (change) {
            const text = data.toString('utf8');
            if (!text.includes(change[0]))
                throw new Error(`${pkg}/${from}: expected ${change[0]} to rewrite; has the package changed?`);
            data = Buffer.from(text.split(change[0]).join(change[1]), 'utf8');
            note = `rewritten:${change[0]}->${change[1]}`;
        }
        out.push({ to, data, line: [to, pkg, meta.version, meta.license, sha256(data), `${pkg}/${from}`, note].join(' ') });
    }
    return out;
}

const header = '# web/vendor: file package version licence sha256 source change (written by tests/browser/vendor.mjs)\n';

if (process.argv[1] === fileURLToPath(import.meta.url)) {
    if (!existsSync(modules)) {
        console.error('vendor: no node_modules; run `npm ci` in tests/browser first');
        process.exit(1);
    }
    const derived = derive();
    const manifest = header + derived.map((d) => d.line).join('\n') + '\n';
    if (process.argv[2] === '--check') {
        let bad = 0;
        for (const d of derived) {
            const p = join(vendorDir, d.to);
            if (!existsSync(p) || sha256(readFileSync(p)) !== sha256(d.data)) {
                console.error(`vendor: web/vendor/${d.to} differs from node_modules`);
                bad++;
            }
        }
        if (readFileSync(join(vendorDir, 'MANIFEST'), 'utf8') !== manifest) {
            console.error('vendor: web/vendor/MANIFEST differs from what node_modules gives');
            bad++;
        }
        process.exit(bad ? 1 : 0);
    }
    mkdirSync(vendorDir, { recursive: true });
    for (const d of derived) writeFileSync(join(vendorDir, d.to), d.data);
    writeFileSync(join(vendorDir, 'MANIFEST'), manifest);
    console.log(manifest);
}
