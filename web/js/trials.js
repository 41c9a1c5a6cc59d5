// Published trial figures to set beside the clinic's own rates. Every figure is from
// /work/shared/reference/pkpd.md §4 (Antidepressant response time course) with the source it
// names there; figures that section marks "not verified" are left out.
// The trials' own response and remission definitions are not restated in pkpd.md §4.
const D = 'as the trial defined it (not restated in pkpd.md §4)';

export const TRIALS = [
    { trial: 'Murrough 2013 Biol Psychiatry', design: '24 TRD, up to 6 IV infusions thrice weekly over 12 days',
        response: 70.8, remission: null, when: 'end of series', definition: D, source: 'abstract' },
    { trial: 'aan het Rot 2010 Biol Psychiatry', design: '10 TRD, 6 IV infusions (days 1–12)',
        response: 90, remission: null, when: 'after infusion 6 (9/10)', definition: D, source: 'abstract' },
    { trial: 'Daly 2018 JAMA Psychiatry (esketamine 84 mg IN)', design: 'phase 2, period 1',
        response: 42, remission: null, when: '24 h', definition: D, source: 'PMC5838571 Table 1' },
    { trial: 'TRANSFORM pooled (Turkoz 2021)', design: 'esketamine IN + new oral AD vs AD + placebo',
        response: 58.7, remission: null, when: 'day 28 (placebo arm 45.2%)', definition: D, source: 'J Clin Psychiatry 2021' },
    { trial: 'TRANSFORM-3 (≥65 y)', design: 'esketamine IN + oral AD vs AD + placebo',
        response: 27, remission: 17.5, when: 'day 28 (placebo 13.3% / 6.7%)', definition: D, source: 'PMC7894501' },
    { trial: 'Cochrane 2021 (meta-analysis)', design: 'ketamine vs placebo', response: 27.4, remission: null,
        when: '24 h (placebo 8.8%)', definition: D, source: 'abstract' },
];
