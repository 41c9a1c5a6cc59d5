// Scores over time: one chart per instrument with its severity bands behind the line and the
// response and remission thresholds marked; the six symptom areas plus sleep and appetite;
// the engine's forecast with its band and the expected relapse date.
import { html, useMemo } from './lib.js';
import { listOf } from './api.js';
import { useApi, Loaded, fmtTime } from './ui.js';
import { Plot, bandsPlugin, epochS } from './plot.js';

const AREAS = ['low_mood', 'anhedonia', 'fatigue', 'concentration', 'hopelessness', 'suicidal_thoughts'];
const BODY = ['sleep', 'appetite'];
const COLORS = ['#1f4e9c', '#b3401a', '#2a7a2a', '#7a2a7a', '#8a6d00', '#b00020', '#00727a', '#5a3e1b'];

const takenAt = (a) => a.taken_at || a.administered_at || a.completed_at || a.created_at || a.at;
const totalOf = (a) => (a.total !== undefined ? a.total : a.score && a.score.total);
const domainOf = (a, d) => {
    const v = (a.domains || (a.score && a.score.domains) || {})[d];
    return v === undefined || v === null ? null : typeof v === 'object' ? v.value ?? v.score ?? null : v;
};

/* Response and remission lines from the instrument's defaults and the first (baseline) score. */
function thresholds(inst, baseline) {
    const lines = [];
    const rem = /total\s*(<=?)\s*(\d+)/.exec(inst.remission_default || '');
    if (rem) lines.push({ y: Number(rem[2]) - (rem[1] === '<' ? 0.5 : 0), label: `remission: ${inst.remission_default}`, color: '#1b5e20' });
    if (inst.response_default_percent && baseline > 0)
        lines.push({ y: baseline * (1 - inst.response_default_percent / 100),
            label: `response: ${inst.response_default_percent}% below baseline ${baseline}`, color: '#0d47a1' });
    return lines;
}

function ScoreChart({ inst, rows }) {
    const data = useMemo(() => [rows.map((a) => epochS(takenAt(a))), rows.map(totalOf)], [rows]);
    const opts = useMemo(() => ({
        title: `${inst.name} total`,
        scales: { y: { range: inst.total_range } },
        series: [{}, { label: inst.name, stroke: '#111', width: 2, points: { size: 7 } }],
        plugins: [bandsPlugin(inst.bands || [], thresholds(inst, totalOf(rows[0])))],
    }), [inst, rows]);
    const last = rows[rows.length - 1];
    return html`<${Plot} testid=${'score-' + inst.id} opts=${opts} data=${data}
        caption=${`${inst.name}: ${rows.length} scores, latest ${totalOf(last)} on ${fmtTime(takenAt(last))}; severity bands shaded, response and remission thresholds dashed.`} />`;
}

function DomainChart({ rows, names, title, testid }) {
    const data = useMemo(() => [rows.map((a) => epochS(takenAt(a))), ...names.map((d) => rows.map((a) => domainOf(a, d)))], [rows, names]);
    const opts = useMemo(() => ({
        title, series: [{}, ...names.map((d, i) => ({ label: d.replace(/_/g, ' '), stroke: COLORS[i], width: 2, spanGaps: true }))],
    }), [names, title]);
    return html`<${Plot} testid=${testid} opts=${opts} data=${data}
        caption=${`${title}: ${names.map((d) => d.replace(/_/g, ' ')).join(', ')} over ${rows.length} assessments.`} />`;
}

export function Scores({ pid }) {
    const ass = useApi(`/api/v1/patients/${pid}/assessments`);
    const insts = useApi('/api/v1/instruments');
    return html`<${Loaded} state=${ass} what="assessments">${(d) => html`<${Loaded} state=${insts} what="instruments">${(idata) => {
        const rows = listOf(d, 'assessments').filter((a) => takenAt(a) && totalOf(a) !== undefined)
            .sort((a, b) => takenAt(a).localeCompare(takenAt(b)));
        if (rows.length === 0) return html`<p>No scores recorded yet.</p>`;
        const byInst = new Map();
        for (const a of rows) (byInst.get(a.instrument) || byInst.set(a.instrument, []).get(a.instrument)).push(a);
        const instList = listOf(idata, 'instruments');
        const withDomains = rows.filter((a) => AREAS.concat(BODY).some((x) => domainOf(a, x) !== null));
        return html`${[...byInst].map(([id, rs]) => {
            const inst = instList.find((i) => i.id === id) || { id, name: id, bands: [] };
            return html`<${ScoreChart} key=${id} inst=${inst} rows=${rs} />`;
        })}
        ${withDomains.length ? html`
            <${DomainChart} rows=${withDomains} names=${AREAS} title="Six symptom areas" testid="areas" />
            <${DomainChart} rows=${withDomains} names=${BODY} title="Sleep and appetite" testid="sleep-appetite" />`
        : html`<p>No symptom-area scores yet.</p>`}`;
    }}<//>`}<//>`;
}

export function Forecast({ forecast: f }) {
    if (!f || !Array.isArray(f.times_min)) return html`<p>No forecast: ${(f && f.reason) || 'the engine needs doses and at least one score after treatment.'}</p>`;
    // dates when the answer names its origin; otherwise days from the dosing origin
    const x = f.origin_date ? f.times_min.map((t) => Date.parse(f.origin_date + 'T00:00:00Z') / 1000 + t * 60)
        : f.times_min.map((t) => t / 1440);
    const data = [x, f.lower, f.upper, f.score];
    const opts = {
        title: `Forecast (${f.instrument || ''}), ${Math.round((f.band || 0.9) * 100)}% band`,
        scales: f.origin_date ? {} : { x: { time: false } },
        axes: f.origin_date ? undefined : [{ label: 'days from the first dose' }, {}],
        series: [{}, { label: 'lower', stroke: '#9bb' }, { label: 'upper', stroke: '#9bb' }, { label: 'expected', stroke: '#0d47a1', width: 2 }],
        bands: [{ series: [2, 1], fill: 'rgba(13,71,161,0.12)' }],
        plugins: [bandsPlugin([], f.threshold !== undefined ? [{ y: f.threshold, label: `relapse threshold ${f.threshold}`, color: '#b00020' }] : [])],
    };
    const r = f.relapse || {};
    const when = r.date ? `expected relapse ${r.date} (band ${r.lower_date || '—'} to ${r.upper_date || 'beyond the horizon'})`
        : r.status === 'above_threshold_now' ? 'scores are above the relapse threshold now' : 'no relapse expected within the horizon';
    return html`<${Plot} testid="forecast" opts=${opts} data=${data} caption=${`Forecast from the response model: ${when}.`} />
        <p class="relapse">${when}${r.probability_by_horizon !== undefined ? `; probability of relapse by the horizon ${Math.round(r.probability_by_horizon * 100)}%` : ''}.</p>`;
}
