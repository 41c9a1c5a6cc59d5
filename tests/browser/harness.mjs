// The browser tests' harness: a fresh demo clinic (`keta demo`), `keta serve` on a loopback
// port with the web app, Debian's chromium driven by playwright-core, every console error and
// page error collected (a test fails on any it did not expect), screenshots saved as artefacts.
// Environment: KETA_BIN (the keta binary), KETA_ARTIFACTS (where screenshots go; default
// build/browser-artifacts), KETA_CHROMIUM (default /usr/lib/chromium/chromium).
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const source = join(here, '..', '..');
const bin = process.env.KETA_BIN || join(source, 'build', 'keta');
export const artifacts = process.env.KETA_ARTIFACTS || join(source, 'build', 'browser-artifacts');

/* The routes this server has, as [method, RegExp] (for telling "not on this branch yet" apart). */
function routeTable() {
    return execFileSync(bin, ['serve', '--routes'], { encoding: 'utf8' }).trim().split('\n').map((l) => {
        const [method, pattern] = l.split(' ');
        return [method, new RegExp('^' + pattern.replace(/\{[^}]+\}/g, '[^/]+') + '$')];
    });
}

export async function startClinic() {
    const dir = mkdtempSync(join(tmpdir(), 'keta-browser-'));
    const db = join(dir, 'clinic.db');
    const demo = JSON.parse(execFileSync(bin, ['demo', '--db', db], { encoding: 'utf8' }));
    const server = spawn(bin, ['serve', '--db', db, '--web', join(source, 'web'), '--listen', '127.0.0.1:0'],
        { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    server.stderr.on('data', (d) => { log += d; });
    const url = await new Promise((resolve, reject) => {
        let out = '';
        const t = setTimeout(() => reject(new Error(`keta serve did not start: ${out} ${log}`)), 10000);
        server.stdout.on('data', (d) => {
            out += d;
            const m = /(http:\/\/127\.0\.0\.1:\d+)\//.exec(out);
            if (m) { clearTimeout(t); resolve(m[1]); }
        });
        server.on('exit', (code) => reject(new Error(`keta serve exited ${code}: ${log}`)));
    });
    const browser = await chromium.launch({
        executablePath: process.env.KETA_CHROMIUM || '/usr/lib/chromium/chromium',
        args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    });
    mkdirSync(artifacts, { recursive: true });
    const routes = routeTable();
    const password = (u) => demo.logins.find((l) => l.username === u).password;
    return {
        url, demo, password, browser, routes,
        hasRoute: (method, path) => routes.some(([m, re]) => m === method && re.test(path)),
        async stop() {
            await browser.close();
            server.kill('SIGTERM');
            await new Promise((r) => (server.exitCode !== null ? r() : server.on('exit', r)));
            rmSync(dir, { recursive: true, force: true });
        },
    };
}

/* A page whose console errors are collected. allow: [{status, path: RegExp}] expected failures.
   A 404 or 405 from an API route this server does not have yet is expected too (the app
   says "not available" for it); any other console error fails the test in check(). */
export async function openPage(clinic, { viewport = { width: 1280, height: 900 }, allow = [] } = {}) {
    const context = await clinic.browser.newContext({ viewport, baseURL: clinic.url });
    const page = await context.newPage();
    const errors = [];
    const failed = new Map(); // url -> status of answers >= 400
    page.on('response', (r) => { if (r.status() >= 400) failed.set(r.url(), r.status()); });
    page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
    page.on('console', (msg) => {
        if (msg.type() !== 'error') return;
        const where = msg.location().url || '';
        if (/^Failed to load resource/.test(msg.text()) && where) {
            const u = new URL(where);
            const status = failed.get(where);
            const missing = u.pathname.startsWith('/api/') && (status === 404 || status === 405) &&
                !['GET', 'POST'].some((m) => clinic.hasRoute(m, u.pathname));
            if (missing || allow.some((a) => a.status === status && a.path.test(u.pathname))) return;
            errors.push(`${msg.text()} (${where})`);
            return;
        }
        errors.push(msg.text());
    });
    return {
        page, context, errors,
        async shot(name) { await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true }); },
        async close() { await context.close(); },
    };
}

export async function login(page, clinic, username) {
    await page.goto('/');
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(clinic.password(username));
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('button', { name: 'Log out' }).waitFor();
}
