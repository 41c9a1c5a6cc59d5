// The patient's self-report from a one-time link, on a phone-sized page. PHQ-9 item 9 above
// zero shows the clinic's crisis text at once, before anything is sent.
import { html, useState } from './lib.js';
import { post, listOf } from './api.js';
import { useApi, Loaded, Problem } from './ui.js';

const PHQ_CHOICES = ['Not at all', 'Several days', 'More than half the days', 'Nearly every day'];
const PHQ_DIFFICULTY = ['Not difficult at all', 'Somewhat difficult', 'Very difficult', 'Extremely difficult'];
// Shown only if the clinic's own text cannot be loaded.
const FALLBACK_CRISIS = 'If you are thinking about suicide or are in crisis, call your local emergency number now or go to the nearest emergency department.';

function Questionnaire({ token, form, inst }) {
    const n = inst.items;
    const [answers, setAnswers] = useState(Array(n).fill(null));
    const [err, setErr] = useState(null);
    const [sent, setSent] = useState(null);
    const crisis = inst.id === 'phq9' && answers[8] !== null && answers[8] > 0;
    const set = (i, v) => { const a = answers.slice(); a[i] = v; setAnswers(a); };
    const missing = answers.map((a, i) => (a === null && i < (inst.scored_items || n) ? i + 1 : null)).filter(Boolean);
    const submit = (e) => {
        e.preventDefault();
        if (missing.length) { setErr({ message: `Please answer question(s) ${missing.join(', ')}.` }); return; }
        post(`/api/v1/self-report/${token}`, { items: answers.map((a) => (a === null ? 0 : a)) }).then((r) => { setErr(null); setSent(r); }, setErr);
    };
    if (sent) return html`<p role="status" class="ok">Thank you. Your answers were sent to your care team.</p>
        ${(crisis || sent.crisis_text) && html`<p class="crisis" role="alert" data-testid="crisis">${sent.crisis_text || form.crisis_text || FALLBACK_CRISIS}</p>`}`;
    return html`<form onSubmit=${submit}>
        <p>Over the last 2 weeks, how often have you been bothered by any of the following problems?</p>
        ${(form.item_text || inst.item_labels || []).slice(0, n).map((label, i) => html`<fieldset key=${i} class="item">
            <legend>${i + 1}. ${label}</legend>
            ${(inst.id === 'phq9' && i === 9 ? PHQ_DIFFICULTY : PHQ_CHOICES).map((c, v) => html`<label class="choice"><input type="radio" name=${'q' + i} value=${v}
                checked=${answers[i] === v} onChange=${() => set(i, v)} /> ${c}</label>`)}
        </fieldset>
        ${i === 8 && crisis && html`<div class="crisis" role="alert" data-testid="crisis">${form.crisis_text || FALLBACK_CRISIS}</div>`}`)}
        <button type="submit">Send my answers</button><${Problem} error=${err} />
    </form>`;
}

export function SelfReport({ token }) {
    const form = useApi(`/api/v1/self-report/${token}`);
    const insts = useApi('/api/v1/instruments');
    return html`<h1 tabindex="-1">Your check-in</h1>
        <${Loaded} state=${form} what="your questionnaire">${(f) => html`<${Loaded} state=${insts} what="the questions">${(d) => {
            const inst = listOf(d, 'instruments').find((i) => i.id === (f.instrument || 'phq9'));
            if (!inst) return html`<p class="error" role="alert">This questionnaire (${f.instrument}) cannot be shown here.</p>`;
            return html`<${Questionnaire} token=${token} form=${f} inst=${inst} />`;
        }}<//>`}<//>
        ${form.error && html`<p class="crisis">${FALLBACK_CRISIS}</p>`}`;
}
