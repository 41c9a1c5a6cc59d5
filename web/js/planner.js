// The dose planner: what-if doses and routes for one patient on a published PK model (curves
// from /api/v1/pk/simulate, predicted side effects from /api/v1/pd/acute), and two regimens
// compared over a virtual population (/api/v1/popsim).
import { html, useState, useEffect } from './lib.js';
import { post, listOf } from './api.js';
import { useApi, Loaded, Section, Field, Problem } from './ui.js';
import { Plot } from './plot.js';

const ROUTES = ['iv', 'im', 'intranasal', 'sublingual', 'oral'];
const TIMES = Array.from({ length: 121 }, (_, i) => i * 2);

function Regimen({ name, r, set }) {
    const f = (k, label, extra = {}) => html`<${Field} id=${`${name}-${k}`} label=${`${label}`} value=${r[k]}
        onInput=${(e) => set({ ...r, [k]: e.target.value.trim() })} ...${extra} />`;
    return html`<fieldset><legend>Regimen ${name}</legend>
        <div class="field"><label for=${name + '-route'}>Route</label>
            <select id=${name + '-route'} value=${r.route} onChange=${(e) => set({ ...r, route: e.target.value })}>
                ${ROUTES.map((x) => html`<option value=${x}>${x}</option>`)}</select></div>
        ${f('amount_mg', 'Dose (mg)', { inputmode: 'decimal' })}
        ${r.route === 'iv' && f('duration_min', 'Infusion length (min)', { inputmode: 'numeric' })}
    </fieldset>`;
}

const doseOf = (r) => [{ route: r.route, amount_mg: Number(r.amount_mg), start_min: 0, ...(r.route === 'iv' ? { duration_min: Number(r.duration_min) } : {}) }];

const ageOn = (birth, now = new Date()) => {
    const b = new Date(birth + 'T00:00:00Z');
    let y = now.getUTCFullYear() - b.getUTCFullYear();
    if (now.getUTCMonth() < b.getUTCMonth() || (now.getUTCMonth() === b.getUTCMonth() && now.getUTCDate() < b.getUTCDate())) y--;
    return y;
};

export function Planner() {
    const models = useApi('/api/v1/pk/models');
    const pidMatch = /[?&]patient=(\d+)/.exec(location.hash);
    const who = useApi(pidMatch ? `/api/v1/patients/${pidMatch[1]}` : null);
    const [model, setModel] = useState('domino1984');
    const [pt, setPt] = useState({ weight_kg: '70', age_y: '45' });
    useEffect(() => {
        const p = who.data;
        if (!p) return;
        setPt((x) => ({ ...x, age_y: p.birth_date ? String(ageOn(p.birth_date)) : x.age_y,
            weight_kg: p.weight_kg ? String(p.weight_kg) : '' })); // never another patient's default weight
    }, [who.data]);
    const [a, setA] = useState({ route: 'iv', amount_mg: '35', duration_min: '40' });
    const [b, setB] = useState({ route: 'intranasal', amount_mg: '56', duration_min: '' });
    const [res, setRes] = useState(null);
    const [err, setErr] = useState(null);
    const [pd, setPd] = useState(null);
    const [pdErr, setPdErr] = useState(null);
    const [pop, setPop] = useState(null);
    const [popErr, setPopErr] = useState(null);
    const patient = { weight_kg: Number(pt.weight_kg), age_y: Number(pt.age_y) };
    const simulate = (e) => {
        e.preventDefault();
        setErr(null); setPdErr(null);
        const req = (r) => ({ model, patient, doses: doseOf(r), times_min: TIMES });
        Promise.all([post('/api/v1/pk/simulate', req(a)), post('/api/v1/pk/simulate', req(b))]).then(setRes, (x) => { setRes(null); setErr(x); });
        Promise.all([post('/api/v1/pd/acute', req(a)), post('/api/v1/pd/acute', req(b))]).then(setPd, (x) => { setPd(null); setPdErr(x); });
    };
    const population = () => {
        setPopErr(null);
        post('/api/v1/popsim', { model, patient, n: 500, seed: 1, grid: { step_min: 60, end_min: 1440 },
            arms: [{ name: 'A', doses: doseOf(a) }, { name: 'B', doses: doseOf(b) }] }).then(setPop, (x) => { setPop(null); setPopErr(x); });
    };
    const pct = (x) => `${Math.round(x * 100)}%`;
    return html`<h1 tabindex="-1">Dose planner${who.data ? ` for ${who.data.given_name} ${who.data.family_name}` : ''}</h1>
        <${Problem} error=${who.error} />
        <form onSubmit=${simulate}>
            <div class="row">
                <div class="field"><label for="pl-model">PK model</label>
                    <${Loaded} state=${models} what="models">${(d) => html`<select id="pl-model" value=${model} onChange=${(e) => setModel(e.target.value)}>
                        ${listOf(d, 'models').map((m) => html`<option value=${m.id}>${m.name} (${m.drug})</option>`)}</select>`}<//></div>
                <${Field} id="pl-weight" label="Weight (kg)" inputmode="decimal" value=${pt.weight_kg} onInput=${(e) => setPt({ ...pt, weight_kg: e.target.value })} />
                <${Field} id="pl-age" label="Age (years)" inputmode="numeric" value=${pt.age_y} onInput=${(e) => setPt({ ...pt, age_y: e.target.value })} />
            </div>
            <div class="row"><${Regimen} name="A" r=${a} set=${setA} /><${Regimen} name="B" r=${b} set=${setB} /></div>
            <button type="submit">Simulate both</button>
            <button type="button" onClick=${population}>Compare over 500 virtual patients</button>
        </form>
        <${Problem} error=${err} />
        ${res && html`<${Section} title="Plasma concentration" id="h-pl-cp">
            <${Plot} testid="planner-cp" opts=${{ title: 'Predicted Cp (ng/mL)', scales: { x: { time: false } }, axes: [{ label: 'minutes' }, {}],
                series: [{ label: 'min' }, { label: 'A', stroke: '#0d47a1', width: 2 }, { label: 'B', stroke: '#b3401a', width: 2 }] }}
                data=${[TIMES, res[0].cp_ng_per_ml, res[1].cp_ng_per_ml]}
                caption=${`A peaks at ${Math.round(res[0].summary.cmax_ng_per_ml)} ng/mL (${Math.round(res[0].summary.tmax_min)} min), B at ${Math.round(res[1].summary.cmax_ng_per_ml)} ng/mL (${Math.round(res[1].summary.tmax_min)} min).`} />
            ${[...res[0].warnings, ...res[1].warnings].map((w, i) => html`<p key=${i} class="warning">${w}</p>`)}<//>`}
        <${Problem} error=${pdErr} />
        ${pd && html`<${Section} title="Predicted side effects" id="h-pl-pd"><table><thead><tr><th scope="col">Regimen</th>
            ${Object.keys(pd[0].endpoints).map((k) => html`<th scope="col">${k} peak (${pd[0].endpoints[k].unit})</th>`)}</tr></thead>
            <tbody>${pd.map((p, i) => html`<tr key=${i}><td>${i ? 'B' : 'A'}</td>${Object.values(p.endpoints).map((ep) => html`<td>${ep.peak.toFixed(2)}</td>`)}</tr>`)}</tbody></table><//>`}
        <${Problem} error=${popErr} />
        ${pop && html`<${Section} title="Virtual population" id="h-pl-pop"><table><thead><tr><th scope="col">Regimen</th>
            <th scope="col">Dissociation above threshold</th><th scope="col">BP rise above threshold</th><th scope="col">Response at 24 h</th></tr></thead>
            <tbody>${pop.arms.map((x) => html`<tr key=${x.name}><td>${x.name}</td><td>${pct(x.any_session.dissociation_above)}</td>
                <td>${pct(x.any_session.bp_above)}</td><td>${pct(x.response_rate[x.response_rate.length - 1])}</td></tr>`)}</tbody></table><//>`}`;
}
