// Outcomes: the clinic's response and remission rates by protocol and over time, beside the
// published trial figures (trials.js, pkpd.md §4), with the definitions named.
import { html } from './lib.js';
import { listOf } from './api.js';
import { useApi, Loaded, Section } from './ui.js';
import { TRIALS } from './trials.js';

const pct = (x) => (x === null || x === undefined ? '—' : `${Number(x).toFixed(1)}%`);

export function Outcomes() {
    const s = useApi('/api/v1/outcomes');
    return html`<h1 tabindex="-1">Outcomes</h1>
        <${Section} title="This clinic" id="h-clinic"><${Loaded} state=${s} what="the clinic's outcomes">${(d) => html`
            ${d.definitions && html`<p class="defs">Definitions: response ${d.definitions.response || '—'}; remission ${d.definitions.remission || '—'}.</p>`}
            <table><caption>By protocol</caption><thead><tr><th scope="col">Protocol</th><th scope="col">Patients</th>
                <th scope="col">Response</th><th scope="col">Remission</th></tr></thead>
            <tbody>${listOf(d, 'protocols').map((p, i) => html`<tr key=${i}><td>${p.protocol}</td><td>${p.patients ?? p.n}</td>
                <td>${pct(p.response_percent ?? p.response_rate)}</td><td>${pct(p.remission_percent ?? p.remission_rate)}</td></tr>`)}</tbody></table>
            <table><caption>Over time</caption><thead><tr><th scope="col">Period</th><th scope="col">Patients</th>
                <th scope="col">Response</th><th scope="col">Remission</th></tr></thead>
            <tbody>${listOf(d, 'periods').map((p, i) => html`<tr key=${i}><td>${p.period}</td><td>${p.patients ?? p.n}</td>
                <td>${pct(p.response_percent ?? p.response_rate)}</td><td>${pct(p.remission_percent ?? p.remission_rate)}</td></tr>`)}</tbody></table>`}<//><//>
        <${Section} title="Published trials" id="h-trials">
            <table class="trials"><caption>Trial figures (reference: pkpd.md §4)</caption><thead><tr>
                <th scope="col">Trial</th><th scope="col">Design</th><th scope="col">Response</th><th scope="col">Remission</th>
                <th scope="col">When</th><th scope="col">Definition</th><th scope="col">Source</th></tr></thead>
            <tbody>${TRIALS.map((t) => html`<tr key=${t.trial}><td>${t.trial}</td><td>${t.design}</td><td>${pct(t.response)}</td>
                <td>${pct(t.remission)}</td><td>${t.when}</td><td>${t.definition}</td><td>${t.source}</td></tr>`)}</tbody></table>
            <p>Response and remission are defined differently across trials (named per row); the clinic's own definitions come from its policy.</p>
        <//>`;
}
