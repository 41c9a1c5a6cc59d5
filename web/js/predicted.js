// The engine's predicted plasma concentration (POST /api/v1/pk/simulate) and dissociation
// (POST /api/v1/pd/acute) over the session's timeline, with the recorded CADSS scores and
// blood pressures beside them. The regimen comes from the session when the server gives it;
// otherwise the clinician enters it (never guessed).
import { html, useState, useEffect, useMemo } from './lib.js';
import { post } from './api.js';
import { Field, Problem } from './ui.js';
import { Plot } from './plot.js';

const minutesFrom = (t0, iso) => (Date.parse(iso) - t0) / 60000;

export function Predicted({ session, vitals, ageY }) {
    const order = (session && session.order) || {};
    const t0 = Date.parse((session && (session.started_at || session.planned_at)) || (vitals[0] && vitals[0].measured_at) || new Date().toISOString());
    const [reg, setReg] = useState({
        weight_kg: session && session.dosing_weight_kg > 0 ? String(session.dosing_weight_kg) : '',
        age_y: ageY > 0 ? String(ageY) : session && session.age_y > 0 ? String(session.age_y) : '',
        amount_mg: session && session.administered_mg > 0 ? String(session.administered_mg) : session && session.planned_mg > 0 ? String(session.planned_mg) : order.dose_mg > 0 ? String(order.dose_mg) : '',
        duration_min: String((session && session.duration_min) || order.duration_min || 40),
        route: (session && session.route) || 'iv',
        model: (session && session.drug === 'esketamine') ? 'perezruixo2021' : 'domino1984',
    });
    const [cp, setCp] = useState(null);
    const [pd, setPd] = useState(null);
    const [err, setErr] = useState(null);
    const [pdErr, setPdErr] = useState(null);
    const run = (e) => {
        if (e) e.preventDefault();
        if (!(Number(reg.weight_kg) > 0 && Number(reg.age_y) > 0 && Number(reg.amount_mg) > 0)) {
            setErr({ message: 'Enter the dosing weight, the age and the dose to draw the prediction.' });
            return;
        }
        const times = [];
        for (let t = 0; t <= 180; t += 2) times.push(t);
        const req = { model: reg.model, patient: { weight_kg: Number(reg.weight_kg), age_y: Number(reg.age_y) },
            doses: [{ route: reg.route, amount_mg: Number(reg.amount_mg), start_min: 0,
                ...(reg.route === 'iv' ? { duration_min: Number(reg.duration_min) } : {}) }], times_min: times };
        setErr(null); setPdErr(null);
        post('/api/v1/pk/simulate', req).then(setCp, setErr);
        post('/api/v1/pd/acute', req).then(setPd, setPdErr);
    };
    useEffect(() => { if (Number(reg.weight_kg) > 0 && Number(reg.age_y) > 0 && Number(reg.amount_mg) > 0) run(); }, []);
    const recorded = useMemo(() => vitals.map((v) => [minutesFrom(t0, v.measured_at), v]), [vitals, t0]);
    const field = (k, label, extra = {}) => html`<${Field} id=${'reg-' + k} label=${label} value=${reg[k]}
        onInput=${(e) => setReg({ ...reg, [k]: e.target.value.trim() })} ...${extra} />`;
    return html`<form class="inline regimen" onSubmit=${run}>
            ${field('weight_kg', 'Dosing weight (kg)', { inputmode: 'decimal' })}
            ${field('age_y', 'Age (years)', { inputmode: 'numeric' })}
            ${field('amount_mg', 'Dose (mg)', { inputmode: 'decimal' })}
            ${field('duration_min', 'Infusion length (min)', { inputmode: 'numeric' })}
            <div class="field"><label for="reg-route">Route</label>
                <select id="reg-route" value=${reg.route} onChange=${(e) => setReg({ ...reg, route: e.target.value })}>
                    ${['iv', 'im', 'intranasal', 'sublingual', 'oral'].map((r) => html`<option value=${r}>${r}</option>`)}</select></div>
            <button type="submit">Predict</button>
        </form>
        <${Problem} error=${err} />
        ${cp && html`<${Plot} testid="pred-cp" opts=${{ title: 'Predicted plasma concentration (ng/mL)', scales: { x: { time: false } },
            axes: [{ label: 'minutes from start' }, {}],
            series: [{ label: 'min' }, { label: 'Cp (ng/mL)', stroke: '#0d47a1', width: 2 }, { label: 'Ce (ng/mL)', stroke: '#6a1b9a', dash: [4, 3] }] }}
            data=${[cp.times_min, cp.cp_ng_per_ml, cp.ce_ng_per_ml]}
            caption=${`Model ${cp.model}: peak ${Math.round(cp.summary.cmax_ng_per_ml)} ng/mL at ${Math.round(cp.summary.tmax_min)} min.`} />`}
        <${Problem} error=${pdErr} />
        ${pd && html`<${Plot} testid="pred-diss" opts=${{ title: 'Dissociation: predicted and recorded (CADSS)', scales: { x: { time: false } },
            axes: [{ label: 'minutes from start' }, {}],
            series: [{ label: 'min' }, { label: 'predicted CADSS', stroke: '#6a1b9a', width: 2 }, { label: 'recorded CADSS', stroke: '#000', width: 0, points: { size: 8, show: true } }] }}
            data=${mergeRecorded(pd.times_min, pd.endpoints.dissociation.values, recorded, (v) => v.dissociation_cadss)}
            caption=${`Predicted peak CADSS ${pd.endpoints.dissociation.peak.toFixed(1)} at ${Math.round(pd.endpoints.dissociation.t_peak_min)} min; ${recorded.length} recorded.`} />`}
        ${recorded.length > 0 && html`<${Plot} testid="rec-bp" opts=${{ title: 'Recorded blood pressure (mmHg)', scales: { x: { time: false } },
            axes: [{ label: 'minutes from start' }, {}],
            series: [{ label: 'min' }, { label: 'systolic', stroke: '#b3401a', width: 2, points: { size: 6 } }, { label: 'diastolic', stroke: '#1f4e9c', width: 2, points: { size: 6 } }] }}
            data=${[recorded.map((r) => r[0]), recorded.map((r) => r[1].systolic_mmhg), recorded.map((r) => r[1].diastolic_mmhg)]}
            caption=${`${recorded.length} blood pressures recorded in this session.`} />`}`;
}

/* One x axis for a predicted curve and recorded points: their times merged, nulls elsewhere. */
function mergeRecorded(times, values, recorded, pick) {
    const xs = [...new Set([...times, ...recorded.map((r) => r[0])])].sort((a, b) => a - b);
    const pred = new Map(times.map((t, i) => [t, values[i]]));
    const rec = new Map(recorded.map((r) => [r[0], pick(r[1])]));
    return [xs, xs.map((x) => (pred.has(x) ? pred.get(x) : null)), xs.map((x) => (rec.has(x) ? rec.get(x) : null))];
}
