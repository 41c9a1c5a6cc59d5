// Every file in web/vendor matches the SHA-256 that web/vendor/MANIFEST records, every file
// there is listed, and (when node_modules is installed from package-lock.json) the vendored
// files are exactly what tests/browser/vendor.mjs makes of the locked packages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sha256, vendorDir } from './vendor.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const manifest = readFileSync(join(vendorDir, 'MANIFEST'), 'utf8').split('\n')
    .filter((l) => l && !l.startsWith('#')).map((l) => l.split(' '));

test('every vendored file matches its recorded SHA-256, with a version and a licence', () => {
    assert.ok(manifest.length >= 5);
    for (const [file, pkg, version, licence, hash] of manifest) {
        assert.match(version, /^\d+\.\d+\.\d+$/, `${file}: version`);
        assert.ok(licence && licence !== 'undefined', `${file}: licence`);
        assert.equal(sha256(readFileSync(join(vendorDir, file))), hash, `web/vendor/${file} (${pkg}) differs from MANIFEST`);
    }
});

test('every file in web/vendor is in the MANIFEST', () => {
    const listed = new Set(manifest.map((m) => m[0]));
    for (const f of readdirSync(vendorDir))
        if (f !== 'MANIFEST') assert.ok(listed.has(f), `web/vendor/${f} is not in MANIFEST`);
});

test('the vendored files are what the locked npm packages give', { skip: !existsSync(join(here, 'node_modules')) && 'node_modules not installed (npm ci in tests/browser)' }, () => {
    execFileSync(process.execPath, [join(here, 'vendor.mjs'), '--check'], { stdio: 'inherit' });
    const lock = JSON.parse(readFileSync(join(here, 'package-lock.json'), 'utf8'));
    for (const [, pkg, version] of manifest)
        assert.equal(lock.packages[`node_modules/${pkg}`].version, version, `${pkg}: MANIFEST and package-lock.json disagree`);
});
