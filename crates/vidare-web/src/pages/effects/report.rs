//! The final effect report as one self-contained HTML document (inline CSS and SVG, no
//! scripts, no external resources): method, data, every figure with its 95 % interval,
//! charts, tables and the counterfactual section with its balance table. The same
//! document is served by the download button and written by `vidare report` (which also
//! prints it to PDF).
//!
//! The document's prose is bilingual in code (`L(sv, en)`) rather than in the locale
//! files: it is a document, not interface text, and is rendered outside the web server.

use std::fmt::Write;

use vidare_domain::money::Money;
use vidare_domain::Lang;
use vidare_effects::counterfactual::{Estimate, Insufficient};
use vidare_effects::outcomes::OutcomeFigures;
use vidare_effects::socioeconomic::SPECS;
use vidare_effects::stats::Proportion;
use vidare_effects::summary::{PeriodFigures, Summary};
use vidare_effects::survival::KmCurve;
use vidare_effects::{Figure, Reason};

use super::charts::{esc, grouped_bars, km_chart, month_lines, share_bars, Curve};

/// What the report shows.
pub struct ReportInput<'a> {
    pub municipality: &'a str,
    pub summary: &'a Summary,
    pub counterfactual: &'a Result<Estimate, Insufficient>,
    /// The parameter set's name and version, e.g. "Standard v0".
    pub parameter_set: &'a str,
    /// Citation per parameter key of the set used.
    pub sources: &'a dyn Fn(&str) -> String,
    pub generated_on: &'a str,
    pub synthetic: bool,
}

/// `L(sv, en)` picks the language.
struct L(Lang);

impl L {
    fn pick<'s>(&self, sv: &'s str, en: &'s str) -> &'s str {
        match self.0 {
            Lang::Sv => sv,
            Lang::En => en,
        }
    }
}

/// A share as `44,7 %` (sv) or `44.7 %` (en).
pub fn pct(lang: Lang, v: f64) -> String {
    let s = format!("{:.1} %", v * 100.0);
    match lang {
        Lang::Sv => s.replace('.', ",").replace('-', "−"),
        Lang::En => s,
    }
}

/// A number with `decimals`.
pub fn num(lang: Lang, v: f64, decimals: usize) -> String {
    let s = format!("{v:.decimals$}");
    match lang {
        Lang::Sv => s.replace('.', ",").replace('-', "−"),
        Lang::En => s,
    }
}

/// Kronor, `Money::format_sv`.
pub fn kr(v: f64) -> String {
    Money::from_ore((v * 100.0).round() as i64).format_sv()
}

/// `44,7 % (41,2–48,3 %)`, or the reason there is no figure.
pub fn share_ci(lang: Lang, f: &Figure<Proportion>) -> String {
    match f {
        Figure::Value(p) => format!(
            "{} ({}–{}) <span class=\"n\">{}/{}</span>",
            pct(lang, p.share),
            pct(lang, p.lower),
            pct(lang, p.upper),
            p.successes,
            p.total
        ),
        Figure::Insufficient { reason } => insufficient(lang, reason),
    }
}

/// The explanation of a missing figure.
pub fn insufficient(lang: Lang, r: &Reason) -> String {
    format!(
        "<span class=\"insufficient\">{}</span>",
        esc(match lang {
            Lang::Sv => &r.sv,
            Lang::En => &r.en,
        })
    )
}

fn fig_num(lang: Lang, f: &Figure<f64>, render: impl Fn(f64) -> String) -> String {
    match f {
        Figure::Value(v) => render(*v),
        Figure::Insufficient { reason } => insufficient(lang, reason),
    }
}

fn triple(p: &Figure<Proportion>) -> Option<(f64, f64, f64)> {
    p.value().map(|p| (p.share, p.lower, p.upper))
}

fn km_steps(c: &KmCurve) -> Vec<(i32, f64, f64, f64)> {
    c.steps
        .iter()
        .map(|s| (s.time, s.survival, s.lower, s.upper))
        .collect()
}

const CSS: &str = "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a;line-height:1.45}\
h1{font-size:1.8rem}h2{margin-top:2.2rem;border-bottom:2px solid #1f4e79;padding-bottom:.2rem}h3{margin-top:1.4rem}\
table{border-collapse:collapse;margin:.6rem 0 1rem;font-size:.92rem}th,td{border:1px solid #999;padding:.25rem .5rem;text-align:left;vertical-align:top}\
th{background:#e8eef4}td.r,th.r{text-align:right}.n{color:#444;font-size:.85em}.insufficient{font-style:italic;color:#5a3b00}\
.note{background:#f4f4f4;border-left:4px solid #1f4e79;padding:.5rem .8rem}.synthetic{background:#fff3cd;border:1px solid #8a6d00;padding:.5rem .8rem}\
figure{margin:1rem 0}figcaption{font-size:.9rem;color:#333}@media print{h2{break-after:avoid}table,figure{break-inside:avoid}}";

/// Renders the report.
pub fn render(lang: Lang, input: &ReportInput<'_>) -> String {
    let l = L(lang);
    let s = input.summary;
    let mut h = String::with_capacity(200_000);
    let title = match &s.round {
        Some(r) => format!("{}: {}", l.pick("Effektrapport", "Effect report"), r),
        None => l
            .pick("Effektrapport: alla omgångar", "Effect report: all rounds")
            .to_string(),
    };
    let _ = write!(
        h,
        "<!DOCTYPE html><html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{}</title>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><style>{CSS}</style></head><body><main>",
        lang.tag(),
        esc(&title)
    );
    let _ = write!(
        h,
        "<h1>{}</h1><p>{} · {} {} · {} {}</p>",
        esc(&title),
        esc(input.municipality),
        l.pick("data till och med", "data up to"),
        esc(&s.as_of),
        l.pick("framtagen", "produced"),
        esc(input.generated_on)
    );
    if input.synthetic {
        let _ = write!(
            h,
            "<p class=\"synthetic\">{}</p>",
            l.pick(
                "Rapporten bygger på syntetiska data med en känd sann effekt (vidare generate). Siffrorna beskriver inga verkliga personer.",
                "This report is based on synthetic data with a known true effect (vidare generate). The figures describe no real people."
            )
        );
    }
    let before = s.period("before").expect("computed");
    let after = s.period("after").expect("computed");

    // Summary.
    let _ = write!(h, "<h2>{}</h2><ul>", l.pick("Sammanfattning", "Summary"));
    let _ = write!(
        h,
        "<li>{}: {}</li><li>{}: {}</li>",
        l.pick(
            "Andel avslut till arbete eller studier, upphandlade platser",
            "Share of exits to work or studies, procured places"
        ),
        share_ci(lang, &after.outcomes.work_or_studies),
        l.pick(
            "Samma andel, tidigare ordning",
            "The same share, the old arrangement"
        ),
        share_ci(lang, &before.outcomes.work_or_studies),
    );
    if let Ok(e) = input.counterfactual {
        if let Some(main) = e.effects.first() {
            let _ = write!(
                h,
                "<li>{}: {} ({}–{}) {}</li>",
                l.pick(
                    "Matchad skattning av effekten (ATT)",
                    "Matched estimate of the effect (ATT)"
                ),
                pct_points(lang, main.att),
                pct_points(lang, main.ci_low),
                pct_points(lang, main.ci_high),
                l.pick("procentenheter", "percentage points"),
            );
        }
    }
    let _ = write!(
        h,
        "<li>{}: {}</li><li>{}: {}</li>",
        l.pick(
            "Kostnad per avslut till arbete eller studier",
            "Cost per exit to work or studies"
        ),
        fig_num(lang, &after.costs.per_exit_to_work_or_studies_kr, kr),
        l.pick(
            "Effektivt antal placeringstyper (före → efter)",
            "Effective number of placement types (before → after)"
        ),
        format_args!(
            "{} → {}",
            fig_num(
                lang,
                &before.variety.diversity.clone().map(|d| d.effective_number),
                |v| num(lang, v, 2)
            ),
            fig_num(
                lang,
                &after.variety.diversity.clone().map(|d| d.effective_number),
                |v| num(lang, v, 2)
            )
        ),
    );
    if let Figure::Value(r) = &s.socioeconomic {
        let _ = write!(
            h,
            "<li>{}: {}</li>",
            l.pick(
                "Samhällsekonomiskt netto efter 5 år, alla betalare",
                "Socio-economic net after 5 years, all payers"
            ),
            kr(r.total.net_5y_kr)
        );
    }
    if let Figure::Value(r) = &s.sroi {
        let _ = write!(h, "<li>SROI: {}</li>", num(lang, r.ratio, 2));
    }
    h.push_str("</ul>");

    method_section(&mut h, &l, lang, input);
    data_section(&mut h, &l, s, before, after);
    outcome_section(&mut h, &l, lang, before, after, s);
    time_section(&mut h, &l, lang, s);
    variety_section(&mut h, &l, lang, before, after);
    stability_section(&mut h, &l, lang, before, after);
    cost_section(&mut h, &l, lang, before, after);
    socio_section(&mut h, &l, lang, s, input);
    counterfactual_section(&mut h, &l, lang, input.counterfactual);
    h.push_str("</main></body></html>");
    h
}

fn pct_points(lang: Lang, v: f64) -> String {
    num(lang, v * 100.0, 1)
}

fn method_section(h: &mut String, l: &L, lang: Lang, input: &ReportInput<'_>) {
    let _ = write!(h, "<h2>{}</h2>", l.pick("Metod", "Method"));
    let items: [(&str, &str); 8] = [
        ("<b>Utfall.</b> Andelen avslut till arbete eller studier enligt den nationella indikatorn (Kolada/SKR): arbete på den reguljära arbetsmarknaden, med eller utan stöd, minst en månad (kommunal arbetsmarknadsanställning räknas inte), eller studier med rätt till studiemedel. Nämnaren är avslutade placeringar. 95 % konfidensintervall enligt Wilson.",
         "<b>Outcomes.</b> The share of exits to work or studies by the national indicator (Kolada/SKR): work on the regular labour market, subsidised or not, lasting at least one month (municipal labour-market employment does not count), or studies with study allowance. The denominator is the ended placements. 95 % confidence intervals by Wilson's method."),
        ("<b>Uppföljning.</b> Andel i arbete (med eller utan stöd), respektive i arbete eller studier, bland registrerade uppföljningar 3, 6 och 12 månader efter avslut.",
         "<b>Follow-up.</b> Share employed (with or without subsidy), and in work or studies, among the follow-ups recorded 3, 6 and 12 months after exit."),
        ("<b>Tid till arbete.</b> Från placeringens start till första start av arbete eller studier (registret, annars avslutsdatum med sådant utfall); censurerad vid observationens slut. Kaplan–Meier med punktvisa 95 % band enligt Greenwood på log-log-skala; grupperna jämförs med log-rank-test (χ², 1 frihetsgrad).",
         "<b>Time to work.</b> From the placement's start to the first start of work or studies (the register, else the exit date of such an exit); censored at the end of observation. Kaplan–Meier with pointwise 95 % bands by Greenwood on the log-log scale; groups compared with the log-rank test (χ², 1 degree of freedom)."),
        ("<b>Mångfald.</b> Antal erbjudna (med avtal) och använda placeringstyper, effektivt antal exp(H) där H är Shannon-entropin av typernas andelar av placeringarna, och Simpsons index Σp² (sannolikheten att två placeringar är av samma typ). Ouppfyllda behov: grupper med dokumenterat behov vars andel placerade har ett konfidensintervall helt under alla registrerades.",
         "<b>Variety.</b> Number of placement types offered (with an agreement) and used, effective number exp(H) with H the Shannon entropy of the types' shares of placements, and Simpson's index Σp² (the chance two placements are of the same type). Unmet needs: groups with a documented need whose share placed has a confidence interval wholly below everyone's."),
        ("<b>Leverantörernas stabilitet.</b> Fakturerat per leverantör och kalendermånad under de månader leverantören hade avtal i perioden; variationskoefficient (standardavvikelse n−1 / medel), månader utan intäkt och andel av deklarerad omsättning.",
         "<b>Supplier stability.</b> Invoiced per supplier and calendar month over the months the supplier held an agreement in the period; coefficient of variation (sd n−1 / mean), months without income and share of declared turnover."),
        ("<b>Kostnader.</b> Fakturerat (godkänt eller senare, kreditnotor avdragna) per deltagare, per närvaromånad och per avslut till arbete eller studier.",
         "<b>Costs.</b> Invoiced (approved or later, credit notes subtracted) per participant, per attendance month and per exit to work or studies."),
        ("<b>Samhällsekonomi och SROI.</b> Per betalare (kommun, region, stat, individen) efter 1 och 5 år med återbetalningstid, ur en versionerad parameteruppsättning med källor (nedan); känslighetsanalys; SROI med dödvikt, tillskrivning, undanträngning, avtagande och diskontering.",
         "<b>Socio-economics and SROI.</b> Per payer (municipality, region, state, the individual) after 1 and 5 years with payback time, from a versioned parameter set with sources (below); sensitivity analysis; SROI with deadweight, attribution, displacement, drop-off and discounting."),
        ("<b>Kontrafaktisk effekt.</b> Se avsnittet om matchad jämförelse: propensity score, närmaste granne med kaliper, balanstabell och konfidensintervall.",
         "<b>Counterfactual effect.</b> See the section on the matched comparison: propensity score, nearest neighbour with a caliper, balance table and confidence interval."),
    ];
    h.push_str("<ul>");
    for (sv, en) in items {
        let _ = write!(h, "<li>{}</li>", l.pick(sv, en));
    }
    let _ = write!(
        h,
        "</ul><p class=\"note\">{} {}.</p>",
        l.pick("Parameteruppsättning:", "Parameter set:"),
        esc(input.parameter_set)
    );
    let _ = lang;
}

fn data_section(h: &mut String, l: &L, s: &Summary, before: &PeriodFigures, after: &PeriodFigures) {
    let _ = write!(
        h,
        "<h2>{}</h2><table><caption>{}</caption><thead><tr><th scope=\"col\">{}</th><th scope=\"col\" class=\"r\">{}</th><th scope=\"col\" class=\"r\">{}</th></tr></thead><tbody>",
        l.pick("Data", "Data"),
        l.pick("Underlaget per period", "The data per period"),
        l.pick("Mått", "Measure"),
        l.pick("Tidigare ordning", "Old arrangement"),
        l.pick("Upphandlade platser", "Procured places"),
    );
    for (label, a, b) in [
        (
            l.pick("Placeringar", "Placements"),
            before.outcomes.placements,
            after.outcomes.placements,
        ),
        (
            l.pick("Deltagare", "Participants"),
            before.outcomes.participants,
            after.outcomes.participants,
        ),
        (
            l.pick("Avslutade placeringar", "Ended placements"),
            before.outcomes.exits,
            after.outcomes.exits,
        ),
        (
            l.pick("Pågående placeringar", "Running placements"),
            before.outcomes.running,
            after.outcomes.running,
        ),
        (
            l.pick("Närvaromånader", "Attendance months"),
            before.costs.placement_months,
            after.costs.placement_months,
        ),
    ] {
        let _ = write!(h, "<tr><th scope=\"row\">{label}</th><td class=\"r\">{a}</td><td class=\"r\">{b}</td></tr>");
    }
    let _ = write!(
        h,
        "</tbody></table><p>{} {} · {} {} · {} {}.</p>",
        l.pick("Kommuner:", "Municipalities:"),
        s.municipalities,
        l.pick(
            "registrerade deltagare (inklusive jämförelsegruppen som aldrig placerats):",
            "registered participants (including the never-placed comparison pool):"
        ),
        s.registered,
        l.pick("placeringar totalt:", "placements in all:"),
        s.placements
    );
}

fn outcome_rows(l: &L, lang: Lang, before: &OutcomeFigures, after: &OutcomeFigures) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<table><caption>{}</caption><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>",
        l.pick("Avslut per kategori med 95 % konfidensintervall", "Exits per category with 95 % confidence intervals"),
        l.pick("Utfall", "Outcome"),
        l.pick("Tidigare ordning", "Old arrangement"),
        l.pick("Upphandlade platser", "Procured places"),
    );
    let _ = write!(
        h,
        "<tr><th scope=\"row\"><b>{}</b></th><td>{}</td><td>{}</td></tr>",
        l.pick(
            "Arbete eller studier (indikatorn)",
            "Work or studies (the indicator)"
        ),
        share_ci(lang, &before.work_or_studies),
        share_ci(lang, &after.work_or_studies)
    );
    for (a, b) in before.categories.iter().zip(&after.categories) {
        let _ = write!(
            h,
            "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td></tr>",
            esc(match lang {
                Lang::Sv => a.name_sv,
                Lang::En => a.name_en,
            }),
            share_ci(lang, &a.share),
            share_ci(lang, &b.share)
        );
    }
    h.push_str("</tbody></table>");
    h
}

fn outcome_section(
    h: &mut String,
    l: &L,
    lang: Lang,
    before: &PeriodFigures,
    after: &PeriodFigures,
    s: &Summary,
) {
    let _ = write!(
        h,
        "<h2>{}</h2>",
        l.pick("Utfall vid avslut", "Outcomes at exit")
    );
    let no = l.pick("För lite data", "Too little data");
    let chart = share_bars(
        "chart-outcomes",
        l.pick(
            "Andel avslut till arbete eller studier",
            "Share of exits to work or studies",
        ),
        l.pick(
            "Staplar med 95 % konfidensintervall per period och utfall.",
            "Bars with 95 % confidence intervals per period and outcome.",
        ),
        &[
            (
                format!(
                    "{} – {}",
                    l.pick("Före", "Before"),
                    l.pick("arb./stud.", "work/stud.")
                ),
                triple(&before.outcomes.work_or_studies),
            ),
            (
                format!(
                    "{} – {}",
                    l.pick("Efter", "After"),
                    l.pick("arb./stud.", "work/stud.")
                ),
                triple(&after.outcomes.work_or_studies),
            ),
            (
                format!(
                    "{} – {}",
                    l.pick("Före", "Before"),
                    l.pick("arbete", "work")
                ),
                triple(&before.outcomes.work),
            ),
            (
                format!(
                    "{} – {}",
                    l.pick("Efter", "After"),
                    l.pick("arbete", "work")
                ),
                triple(&after.outcomes.work),
            ),
            (
                format!(
                    "{} – {}",
                    l.pick("Före", "Before"),
                    l.pick("studier", "studies")
                ),
                triple(&before.outcomes.studies),
            ),
            (
                format!(
                    "{} – {}",
                    l.pick("Efter", "After"),
                    l.pick("studier", "studies")
                ),
                triple(&after.outcomes.studies),
            ),
        ],
        no,
    );
    let _ = write!(
        h,
        "<figure>{chart}<figcaption>{}</figcaption></figure>",
        l.pick(
            "Figur 1. Andelar med 95 % konfidensintervall (Wilson).",
            "Figure 1. Shares with 95 % confidence intervals (Wilson)."
        )
    );
    h.push_str(&outcome_rows(l, lang, &before.outcomes, &after.outcomes));
    let _ = write!(
        h,
        "<h3>{}</h3><table><caption>{}</caption><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>",
        l.pick("Uppföljning efter avslut", "Follow-up after exit"),
        l.pick("Andel i arbete, och i arbete eller studier, vid uppföljningen", "Share employed, and in work or studies, at the follow-up"),
        l.pick("Månader", "Months"),
        l.pick("I arbete, före", "Employed, before"),
        l.pick("I arbete, efter", "Employed, after"),
        l.pick("Arbete eller studier, före", "Work or studies, before"),
        l.pick("Arbete eller studier, efter", "Work or studies, after"),
    );
    for (a, b) in before
        .outcomes
        .follow_up
        .iter()
        .zip(&after.outcomes.follow_up)
    {
        let _ = write!(
            h,
            "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            a.months,
            share_ci(lang, &a.employed),
            share_ci(lang, &b.employed),
            share_ci(lang, &a.work_or_studies),
            share_ci(lang, &b.work_or_studies)
        );
    }
    h.push_str("</tbody></table>");
    // By supplier and type.
    for (caption, groups) in [
        (
            l.pick(
                "Per leverantör (upphandlade platser)",
                "By supplier (procured places)",
            ),
            &s.by_supplier,
        ),
        (
            l.pick(
                "Per placeringstyp (upphandlade platser)",
                "By placement type (procured places)",
            ),
            &s.by_type,
        ),
    ] {
        let _ = write!(
            h,
            "<h3>{caption}</h3><table><caption>{caption}</caption><thead><tr><th scope=\"col\">{}</th><th scope=\"col\" class=\"r\">{}</th><th scope=\"col\">{}</th><th scope=\"col\" class=\"r\">{}</th></tr></thead><tbody>",
            l.pick("Namn", "Name"),
            l.pick("Placeringar", "Placements"),
            l.pick("Arbete eller studier", "Work or studies"),
            l.pick("Kostnad per avslut till arbete eller studier", "Cost per exit to work or studies"),
        );
        for g in groups.iter() {
            let _ = write!(
                h,
                "<tr><th scope=\"row\">{}</th><td class=\"r\">{}</td><td>{}</td><td class=\"r\">{}</td></tr>",
                esc(&g.name),
                g.outcomes.placements,
                share_ci(lang, &g.outcomes.work_or_studies),
                fig_num(lang, &g.costs.per_exit_to_work_or_studies_kr, kr)
            );
        }
        h.push_str("</tbody></table>");
    }
}

fn time_section(h: &mut String, l: &L, lang: Lang, s: &Summary) {
    let _ = write!(
        h,
        "<h2>{}</h2>",
        l.pick("Tid till arbete eller studier", "Time to work or studies")
    );
    let t = &s.time_to_work;
    let mut curves = Vec::new();
    let before_label = l.pick("Tidigare ordning", "Old arrangement");
    let after_label = l.pick("Upphandlade platser", "Procured places");
    if let Figure::Value(c) = &t.before {
        curves.push(Curve {
            label: before_label,
            steps: km_steps(c),
        });
    }
    if let Figure::Value(c) = &t.after {
        curves.push(Curve {
            label: after_label,
            steps: km_steps(c),
        });
    }
    if !curves.is_empty() {
        let chart = km_chart(
            "chart-km",
            l.pick(
                "Andel som börjat arbeta eller studera",
                "Share who have begun work or studies",
            ),
            l.pick(
                "Kaplan–Meier-kurvor (1 − S) med 95 % band, per period.",
                "Kaplan–Meier curves (1 − S) with 95 % bands, per period.",
            ),
            &curves,
            730,
            l.pick(
                "Dagar från placeringens start",
                "Days from the placement's start",
            ),
        );
        let _ = write!(h, "<figure>{chart}<figcaption>{}</figcaption></figure>", l.pick("Figur 2. Kaplan–Meier, andel som börjat arbeta eller studera, med band (Greenwood, log-log).", "Figure 2. Kaplan–Meier, share who have begun work or studies, with bands (Greenwood, log-log)."));
    }
    let _ = write!(
        h,
        "<table><caption>{}</caption><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>",
        l.pick("Andel som börjat arbeta eller studera (95 % band)", "Share who have begun work or studies (95 % band)"),
        l.pick("Dagar", "Days"),
        before_label,
        after_label
    );
    let cell = |f: &Figure<KmCurve>, d: i32| match f {
        Figure::Value(c) if c.observed_until() >= d => {
            let (sv, lo, hi) = c.at(d);
            format!(
                "{} ({}–{})",
                pct(lang, 1.0 - sv),
                pct(lang, 1.0 - hi),
                pct(lang, 1.0 - lo)
            )
        }
        Figure::Value(_) => format!(
            "<span class=\"insufficient\">{}</span>",
            l.pick("ej observerat så länge", "not observed that long")
        ),
        Figure::Insufficient { reason } => insufficient(lang, reason),
    };
    for d in [90, 180, 365, 730] {
        let _ = write!(
            h,
            "<tr><th scope=\"row\">{d}</th><td>{}</td><td>{}</td></tr>",
            cell(&t.before, d),
            cell(&t.after, d)
        );
    }
    let median = |f: &Figure<KmCurve>| match f {
        Figure::Value(c) => c
            .median
            .map(|m| format!("{m}"))
            .unwrap_or_else(|| l.pick("ej nådd", "not reached").to_string()),
        Figure::Insufficient { reason } => insufficient(lang, reason),
    };
    let _ = write!(
        h,
        "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td></tr></tbody></table>",
        l.pick("Median (dagar)", "Median (days)"),
        median(&t.before),
        median(&t.after)
    );
    match &t.log_rank {
        Figure::Value(r) => {
            let _ = write!(
                h,
                "<p>{}: χ² = {}, {} = {}, p = {}. {}: {} / {}; {}: {} / {}.</p>",
                l.pick("Log-rank-test", "Log-rank test"),
                num(lang, r.statistic, 3),
                l.pick("frihetsgrader", "degrees of freedom"),
                r.df,
                format_p(lang, r.p_value),
                before_label,
                num(lang, r.observed[0], 0),
                num(lang, r.expected[0], 1),
                after_label,
                num(lang, r.observed[1], 0),
                num(lang, r.expected[1], 1),
            );
            let _ = write!(
                h,
                "<p class=\"n\">{}</p>",
                l.pick(
                    "Observerade / förväntade händelser per grupp.",
                    "Observed / expected events per group."
                )
            );
        }
        Figure::Insufficient { reason } => {
            let _ = write!(
                h,
                "<p>{}: {}</p>",
                l.pick("Log-rank-test", "Log-rank test"),
                insufficient(lang, reason)
            );
        }
    }
}

fn format_p(lang: Lang, p: f64) -> String {
    if p < 0.0001 {
        match lang {
            Lang::Sv => "< 0,0001".into(),
            Lang::En => "< 0.0001".into(),
        }
    } else {
        num(lang, p, 4)
    }
}

fn variety_section(
    h: &mut String,
    l: &L,
    lang: Lang,
    before: &PeriodFigures,
    after: &PeriodFigures,
) {
    let _ = write!(
        h,
        "<h2>{}</h2>",
        l.pick("Mångfald av placeringar", "Variety of placements")
    );
    let d = |p: &PeriodFigures, f: fn(&vidare_effects::variety::Diversity) -> f64, dec| {
        fig_num(lang, &p.variety.diversity.clone().map(|d| f(&d)), |v| {
            num(lang, v, dec)
        })
    };
    let _ = write!(
        h,
        "<table><caption>{}</caption><thead><tr><th scope=\"col\">{}</th><th scope=\"col\" class=\"r\">{}</th><th scope=\"col\" class=\"r\">{}</th></tr></thead><tbody>\
         <tr><th scope=\"row\">{}</th><td class=\"r\">{}</td><td class=\"r\">{}</td></tr>\
         <tr><th scope=\"row\">{}</th><td class=\"r\">{}</td><td class=\"r\">{}</td></tr>\
         <tr><th scope=\"row\">{}</th><td class=\"r\">{}</td><td class=\"r\">{}</td></tr>\
         <tr><th scope=\"row\">{}</th><td class=\"r\">{}</td><td class=\"r\">{}</td></tr>\
         <tr><th scope=\"row\">{}</th><td class=\"r\">{}</td><td class=\"r\">{}</td></tr></tbody></table>",
        l.pick("Mångfald före och efter reformen", "Variety before and after the reform"),
        l.pick("Mått", "Measure"),
        l.pick("Tidigare ordning", "Old arrangement"),
        l.pick("Upphandlade platser", "Procured places"),
        l.pick("Erbjudna typer", "Types offered"),
        before.variety.types_offered,
        after.variety.types_offered,
        l.pick("Använda typer", "Types used"),
        before.variety.types_used,
        after.variety.types_used,
        l.pick("Effektivt antal typer, exp(H)", "Effective number of types, exp(H)"),
        d(before, |x| x.effective_number, 2),
        d(after, |x| x.effective_number, 2),
        l.pick("Simpsons index Σp²", "Simpson's index Σp²"),
        d(before, |x| x.simpson, 3),
        d(after, |x| x.simpson, 3),
        l.pick("Gini–Simpson 1 − Σp²", "Gini–Simpson 1 − Σp²"),
        d(before, |x| x.gini_simpson, 3),
        d(after, |x| x.gini_simpson, 3),
    );
    // Type shares chart.
    let mut codes: Vec<&str> = before
        .variety
        .types
        .iter()
        .chain(&after.variety.types)
        .map(|t| t.code.as_str())
        .collect();
    codes.sort_unstable();
    codes.dedup();
    let share = |p: &PeriodFigures, c: &str| {
        p.variety
            .types
            .iter()
            .find(|t| t.code == c)
            .map(|t| t.share * 100.0)
            .unwrap_or(0.0)
    };
    let name = |c: &str| {
        before
            .variety
            .types
            .iter()
            .chain(&after.variety.types)
            .find(|t| t.code == c)
            .map(|t| match lang {
                Lang::Sv => t.name_sv.clone(),
                Lang::En => t.name_en.clone(),
            })
            .unwrap_or_default()
    };
    let rows: Vec<(String, Vec<f64>)> = codes
        .iter()
        .map(|c| (name(c), vec![share(before, c), share(after, c)]))
        .collect();
    if !rows.is_empty() {
        let chart = grouped_bars(
            "chart-variety",
            l.pick(
                "Placeringstypernas andel av placeringarna",
                "Placement types' share of placements",
            ),
            l.pick(
                "Andel per typ före och efter reformen.",
                "Share per type before and after the reform.",
            ),
            &[
                l.pick("Tidigare ordning", "Old arrangement"),
                l.pick("Upphandlade platser", "Procured places"),
            ],
            &rows,
            "%",
        );
        let _ = write!(
            h,
            "<figure>{chart}<figcaption>{}</figcaption></figure>",
            l.pick(
                "Figur 3. Placeringar per typ (%).",
                "Figure 3. Placements per type (%)."
            )
        );
        let _ = write!(
            h,
            "<table><caption>{}</caption><thead><tr><th scope=\"col\">{}</th><th scope=\"col\" class=\"r\">{}</th><th scope=\"col\" class=\"r\">{}</th><th scope=\"col\" class=\"r\">{}</th></tr></thead><tbody>",
            l.pick("Placeringar och avböjda anvisningar per typ", "Placements and declined referrals per type"),
            l.pick("Typ", "Type"),
            l.pick("Före", "Before"),
            l.pick("Efter", "After"),
            l.pick("Avböjda anvisningar", "Declined referrals"),
        );
        for c in &codes {
            let count = |p: &PeriodFigures| {
                p.variety
                    .types
                    .iter()
                    .find(|t| t.code == *c)
                    .map(|t| t.placements)
                    .unwrap_or(0)
            };
            let declined = after
                .variety
                .types
                .iter()
                .chain(&before.variety.types)
                .find(|t| t.code == *c)
                .map(|t| t.declined_referrals)
                .unwrap_or(0);
            let _ = write!(h, "<tr><th scope=\"row\">{}</th><td class=\"r\">{}</td><td class=\"r\">{}</td><td class=\"r\">{}</td></tr>", esc(&name(c)), count(before), count(after), declined);
        }
        h.push_str("</tbody></table>");
    }
    if !after.variety.offered_not_used.is_empty() {
        let _ = write!(
            h,
            "<p>{}: {}</p>",
            l.pick(
                "Erbjudna men inte använda typer",
                "Types offered but not used"
            ),
            esc(&after.variety.offered_not_used.join(", "))
        );
    }
    let _ = write!(
        h,
        "<h3>{}</h3><table><caption>{}</caption><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody><tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td></tr>",
        l.pick("Behov som avtalen inte mötte", "Needs the contracts did not meet"),
        l.pick("Andel placerade bland registrerade, per behovsgrupp och period (registrering)", "Share placed among registered, per need group and period (registration)"),
        l.pick("Grupp", "Group"),
        l.pick("Registrerade före reformen", "Registered before the reform"),
        l.pick("Registrerade efter", "Registered after"),
        l.pick("Alla", "Everyone"),
        share_ci(lang, &before.unmet_needs.overall),
        share_ci(lang, &after.unmet_needs.overall),
    );
    for (a, b) in before
        .unmet_needs
        .groups
        .iter()
        .zip(&after.unmet_needs.groups)
    {
        let flag = |g: &vidare_effects::variety::NeedGroup| {
            if g.unmet {
                format!(" <b>{}</b>", l.pick("(ej mött)", "(unmet)"))
            } else {
                String::new()
            }
        };
        let _ = write!(
            h,
            "<tr><th scope=\"row\">{}</th><td>{}{}</td><td>{}{}</td></tr>",
            esc(match lang {
                Lang::Sv => a.name_sv,
                Lang::En => a.name_en,
            }),
            share_ci(lang, &a.placed),
            flag(a),
            share_ci(lang, &b.placed),
            flag(b)
        );
    }
    h.push_str("</tbody></table>");
}

fn stability_section(
    h: &mut String,
    l: &L,
    lang: Lang,
    before: &PeriodFigures,
    after: &PeriodFigures,
) {
    let _ = write!(
        h,
        "<h2>{}</h2>",
        l.pick(
            "Leverantörernas intäktsstabilitet",
            "Supplier income stability"
        )
    );
    let series: Vec<(String, Vec<(String, f64)>)> = [
        (l.pick("Tidigare ordning", "Old arrangement"), before),
        (l.pick("Upphandlade platser", "Procured places"), after),
    ]
    .iter()
    .filter(|(_, p)| !p.stability.monthly_total.is_empty())
    .map(|(label, p)| {
        (
            label.to_string(),
            p.stability
                .monthly_total
                .iter()
                .map(|(m, v)| (m.clone(), *v as f64 / 100.0))
                .collect(),
        )
    })
    .collect();
    if !series.is_empty() {
        let chart = month_lines(
            "chart-income",
            l.pick(
                "Fakturerat till leverantörerna per månad",
                "Invoiced to the suppliers per month",
            ),
            l.pick(
                "Summa per månad och period, kronor.",
                "Sum per month and period, kronor.",
            ),
            &series,
            "kr",
        );
        let _ = write!(
            h,
            "<figure>{chart}<figcaption>{}</figcaption></figure>",
            l.pick(
                "Figur 4. Leverantörernas intäkter från avtalen över tid.",
                "Figure 4. The suppliers' income from the contracts over time."
            )
        );
    }
    let _ = write!(
        h,
        "<table><caption>{}</caption><thead><tr><th scope=\"col\">{}</th><th scope=\"col\" class=\"r\">{}</th><th scope=\"col\" class=\"r\">{}</th></tr></thead><tbody>\
         <tr><th scope=\"row\">{}</th><td class=\"r\">{}</td><td class=\"r\">{}</td></tr>\
         <tr><th scope=\"row\">{}</th><td class=\"r\">{}</td><td class=\"r\">{}</td></tr>\
         <tr><th scope=\"row\">{}</th><td class=\"r\">{}</td><td class=\"r\">{}</td></tr>\
         <tr><th scope=\"row\">{}</th><td class=\"r\">{}</td><td class=\"r\">{}</td></tr></tbody></table>",
        l.pick("Stabilitet före och efter", "Stability before and after"),
        l.pick("Mått", "Measure"),
        l.pick("Tidigare ordning", "Old arrangement"),
        l.pick("Upphandlade platser", "Procured places"),
        l.pick("Leverantörer", "Suppliers"),
        before.stability.suppliers.len(),
        after.stability.suppliers.len(),
        l.pick("Median av variationskoefficienten", "Median coefficient of variation"),
        fig_num(lang, &before.stability.median_cv, |v| num(lang, v, 2)),
        fig_num(lang, &after.stability.median_cv, |v| num(lang, v, 2)),
        l.pick("Månader utan intäkt, medel", "Months without income, mean"),
        fig_num(lang, &before.stability.mean_months_without_income, |v| num(lang, v, 1)),
        fig_num(lang, &after.stability.mean_months_without_income, |v| num(lang, v, 1)),
        l.pick("Andel av deklarerad omsättning, median", "Share of declared turnover, median"),
        fig_num(lang, &before.stability.median_share_of_turnover, |v| pct(lang, v)),
        fig_num(lang, &after.stability.median_share_of_turnover, |v| pct(lang, v)),
    );
    let _ = write!(
        h,
        "<table><caption>{}</caption><thead><tr><th scope=\"col\">{}</th><th scope=\"col\" class=\"r\">{}</th><th scope=\"col\" class=\"r\">{}</th><th scope=\"col\" class=\"r\">{}</th><th scope=\"col\" class=\"r\">{}</th><th scope=\"col\" class=\"r\">{}</th></tr></thead><tbody>",
        l.pick("Per leverantör, upphandlade platser", "Per supplier, procured places"),
        l.pick("Leverantör", "Supplier"),
        l.pick("Månader", "Months"),
        l.pick("Totalt", "Total"),
        l.pick("Variationskoefficient", "Coefficient of variation"),
        l.pick("Månader utan intäkt", "Months without income"),
        l.pick("Andel av omsättning", "Share of turnover"),
    );
    for s in &after.stability.suppliers {
        let _ = write!(
            h,
            "<tr><th scope=\"row\">{}</th><td class=\"r\">{}</td><td class=\"r\">{}</td><td class=\"r\">{}</td><td class=\"r\">{}</td><td class=\"r\">{}</td></tr>",
            esc(&s.name),
            s.window_months,
            kr(s.total_ore as f64 / 100.0),
            match &s.volatility {
                Figure::Value(v) => num(lang, v.cv, 2),
                Figure::Insufficient { reason } => insufficient(lang, reason),
            },
            s.months_without_income,
            s.share_of_turnover.map(|v| pct(lang, v)).unwrap_or_else(|| "–".into())
        );
    }
    h.push_str("</tbody></table>");
}

fn cost_section(h: &mut String, l: &L, lang: Lang, before: &PeriodFigures, after: &PeriodFigures) {
    let _ = write!(
        h,
        "<h2>{}</h2><table><caption>{}</caption><thead><tr><th scope=\"col\">{}</th><th scope=\"col\" class=\"r\">{}</th><th scope=\"col\" class=\"r\">{}</th></tr></thead><tbody>",
        l.pick("Kostnader", "Costs"),
        l.pick("Fakturerat för placeringarna", "Invoiced for the placements"),
        l.pick("Mått", "Measure"),
        l.pick("Tidigare ordning", "Old arrangement"),
        l.pick("Upphandlade platser", "Procured places"),
    );
    let rows: [(&str, String, String); 4] = [
        (
            l.pick("Totalt", "Total"),
            kr(before.costs.total_kr),
            kr(after.costs.total_kr),
        ),
        (
            l.pick("Per deltagare", "Per participant"),
            fig_num(lang, &before.costs.per_participant_kr, kr),
            fig_num(lang, &after.costs.per_participant_kr, kr),
        ),
        (
            l.pick("Per närvaromånad", "Per attendance month"),
            fig_num(lang, &before.costs.per_placement_month_kr, kr),
            fig_num(lang, &after.costs.per_placement_month_kr, kr),
        ),
        (
            l.pick(
                "Per avslut till arbete eller studier",
                "Per exit to work or studies",
            ),
            fig_num(lang, &before.costs.per_exit_to_work_or_studies_kr, kr),
            fig_num(lang, &after.costs.per_exit_to_work_or_studies_kr, kr),
        ),
    ];
    for (label, a, b) in rows {
        let _ = write!(h, "<tr><th scope=\"row\">{label}</th><td class=\"r\">{a}</td><td class=\"r\">{b}</td></tr>");
    }
    h.push_str("</tbody></table>");
}

fn payer_name(l: &L, p: &str) -> String {
    match p {
        "municipality" => l.pick("Kommunen", "The municipality"),
        "region" => l.pick("Regionen", "The region"),
        "state" => l.pick("Staten", "The state"),
        "individual" => l.pick("Individen", "The individual"),
        _ => l.pick("Totalt", "Total"),
    }
    .to_string()
}

fn months_text(l: &L, m: Option<u32>) -> String {
    match m {
        Some(0) => l.pick("ingen kostnad", "no cost").to_string(),
        Some(m) => format!("{m} {}", l.pick("mån", "months")),
        None => l.pick("inte inom 5 år", "not within 5 years").to_string(),
    }
}

fn socio_section(h: &mut String, l: &L, lang: Lang, s: &Summary, input: &ReportInput<'_>) {
    let _ = write!(
        h,
        "<h2>{}</h2>",
        l.pick("Samhällsekonomisk avkastning", "Socio-economic return")
    );
    match &s.socioeconomic {
        Figure::Insufficient { reason } => {
            h.push_str(&format!("<p>{}</p>", insufficient(lang, reason)))
        }
        Figure::Value(r) => {
            let rows: Vec<(String, Vec<f64>)> = r
                .payers
                .iter()
                .map(|p| (payer_name(l, p.payer), vec![p.net_1y_kr, p.net_5y_kr]))
                .collect();
            let chart = grouped_bars(
                "chart-socio",
                l.pick(
                    "Netto per betalare efter 1 och 5 år",
                    "Net per payer after 1 and 5 years",
                ),
                l.pick(
                    "Nytta minus kostnad per betalare, kronor, diskonterat.",
                    "Benefit minus cost per payer, kronor, discounted.",
                ),
                &[
                    l.pick("Efter 1 år", "After 1 year"),
                    l.pick("Efter 5 år", "After 5 years"),
                ],
                &rows,
                "kr",
            );
            let _ = write!(
                h,
                "<figure>{chart}<figcaption>{}</figcaption></figure>",
                l.pick(
                    "Figur 5. Samhällsekonomiskt netto per betalare.",
                    "Figure 5. Socio-economic net per payer."
                )
            );
            let _ = write!(
                h,
                "<p>{}: {} {} / {} {} ({} {}).</p>",
                l.pick(
                    "Ytterligare personer i arbete respektive studier",
                    "Additional persons in work and in studies"
                ),
                num(lang, r.additional_work, 1),
                l.pick("i arbete", "in work"),
                num(lang, r.additional_studies, 1),
                l.pick("i studier", "in studies"),
                l.pick("kontrafaktisk andel", "counterfactual share"),
                pct(lang, s.parameters.counterfactual_share),
            );
            let _ = write!(
                h,
                "<table><caption>{}</caption><thead><tr><th scope=\"col\">{}</th><th scope=\"col\" class=\"r\">{}</th><th scope=\"col\" class=\"r\">{}</th><th scope=\"col\" class=\"r\">{}</th><th scope=\"col\" class=\"r\">{}</th><th scope=\"col\" class=\"r\">{}</th><th scope=\"col\" class=\"r\">{}</th></tr></thead><tbody>",
                l.pick("Kostnad, nytta och netto per betalare", "Cost, benefit and net per payer"),
                l.pick("Betalare", "Payer"),
                l.pick("Kostnad", "Cost"),
                l.pick("Nytta 1 år", "Benefit 1 year"),
                l.pick("Nytta 5 år", "Benefit 5 years"),
                l.pick("Netto 1 år", "Net 1 year"),
                l.pick("Netto 5 år", "Net 5 years"),
                l.pick("Återbetalningstid", "Payback time"),
            );
            for p in r.payers.iter().chain(std::iter::once(&r.total)) {
                let _ = write!(
                    h,
                    "<tr><th scope=\"row\">{}</th><td class=\"r\">{}</td><td class=\"r\">{}</td><td class=\"r\">{}</td><td class=\"r\">{}</td><td class=\"r\">{}</td><td class=\"r\">{}</td></tr>",
                    payer_name(l, p.payer),
                    kr(p.cost_kr),
                    kr(p.benefit_1y_kr),
                    kr(p.benefit_5y_kr),
                    kr(p.net_1y_kr),
                    kr(p.net_5y_kr),
                    months_text(l, p.payback_months)
                );
            }
            h.push_str("</tbody></table>");
        }
    }
    // Parameters with sources.
    let _ = write!(
        h,
        "<h3>{}</h3><table><caption>{} {}</caption><thead><tr><th scope=\"col\">{}</th><th scope=\"col\" class=\"r\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>",
        l.pick("Parametrar och källor", "Parameters and sources"),
        l.pick("Parameteruppsättning", "Parameter set"),
        esc(input.parameter_set),
        l.pick("Parameter", "Parameter"),
        l.pick("Värde", "Value"),
        l.pick("Enhet", "Unit"),
        l.pick("Källa", "Source"),
    );
    for spec in SPECS {
        let v = s.parameters.get(spec.key).unwrap_or_default();
        let _ = write!(
            h,
            "<tr><th scope=\"row\">{}</th><td class=\"r\">{}</td><td>{}</td><td>{}</td></tr>",
            esc(match lang {
                Lang::Sv => spec.name_sv,
                Lang::En => spec.name_en,
            }),
            num(lang, v, if v.fract() == 0.0 { 0 } else { 4 }),
            esc(spec.unit),
            esc(&(input.sources)(spec.key))
        );
    }
    h.push_str("</tbody></table>");
    // Sensitivity.
    if !s.sensitivity.is_empty() {
        let _ = write!(
            h,
            "<h3>{}</h3><table><caption>{}</caption><thead><tr><th scope=\"col\">{}</th><th scope=\"col\" class=\"r\">{}</th><th scope=\"col\" class=\"r\">{}</th><th scope=\"col\" class=\"r\">{}</th><th scope=\"col\" class=\"r\">{}</th><th scope=\"col\" class=\"r\">{}</th><th scope=\"col\" class=\"r\">SROI</th></tr></thead><tbody>",
            l.pick("Känslighetsanalys", "Sensitivity analysis"),
            l.pick("En parameter i taget ändrad", "One parameter changed at a time"),
            l.pick("Parameter", "Parameter"),
            l.pick("Värde", "Value"),
            l.pick("Netto 1 år, alla", "Net 1 year, all"),
            l.pick("Netto 5 år, alla", "Net 5 years, all"),
            l.pick("Netto 5 år, kommunen", "Net 5 years, municipality"),
            l.pick("Återbetalningstid", "Payback time"),
        );
        for r in &s.sensitivity {
            let spec = SPECS.iter().find(|x| x.key == r.parameter);
            let _ = write!(
                h,
                "<tr><th scope=\"row\">{}</th><td class=\"r\">{}</td><td class=\"r\">{}</td><td class=\"r\">{}</td><td class=\"r\">{}</td><td class=\"r\">{}</td><td class=\"r\">{}</td></tr>",
                esc(spec.map(|x| match lang {
                    Lang::Sv => x.name_sv,
                    Lang::En => x.name_en,
                }).unwrap_or(r.parameter)),
                num(lang, r.value, if r.value.fract() == 0.0 { 0 } else { 3 }),
                kr(r.total_net_1y_kr),
                kr(r.total_net_5y_kr),
                kr(r.municipality_net_5y_kr),
                months_text(l, r.payback_months),
                r.sroi_ratio.map(|v| num(lang, v, 2)).unwrap_or_else(|| "–".into())
            );
        }
        h.push_str("</tbody></table>");
    }
    // SROI.
    let _ = write!(h, "<h3>SROI</h3>");
    match &s.sroi {
        Figure::Insufficient { reason } => {
            h.push_str(&format!("<p>{}</p>", insufficient(lang, reason)))
        }
        Figure::Value(r) => {
            let _ = write!(
                h,
                "<p>{}: {} · {}: {} · {}: {} · {}: {}.</p>",
                l.pick("Investering", "Investment"),
                kr(r.investment_kr),
                l.pick("Nuvärde av effekterna", "Present value of the impact"),
                kr(r.present_value_kr),
                l.pick("Kvot", "Ratio"),
                num(lang, r.ratio, 2),
                l.pick("År", "Years"),
                r.years
            );
            let _ = write!(
                h,
                "<table><caption>{}</caption><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\" class=\"r\">{}</th><th scope=\"col\" class=\"r\">{}</th><th scope=\"col\" class=\"r\">{}</th><th scope=\"col\" class=\"r\">{}</th></tr></thead><tbody>",
                l.pick("Värdekarta", "Value map"),
                l.pick("Intressent", "Stakeholder"),
                l.pick("Utfall", "Outcome"),
                l.pick("Antal", "Quantity"),
                l.pick("Finansiell proxy per år", "Financial proxy per year"),
                l.pick("Effekt år 1", "Impact year 1"),
                l.pick("Nuvärde", "Present value"),
            );
            for line in &r.lines {
                let _ = write!(
                    h,
                    "<tr><th scope=\"row\">{}</th><td>{}</td><td class=\"r\">{}</td><td class=\"r\">{}</td><td class=\"r\">{}</td><td class=\"r\">{}</td></tr>",
                    payer_name(l, line.stakeholder),
                    if line.outcome == "in_work" { l.pick("I arbete", "In work") } else { l.pick("I studier", "In studies") },
                    num(lang, line.quantity, 0),
                    kr(line.proxy_kr),
                    kr(line.impact_year1_kr),
                    kr(line.present_value_kr)
                );
            }
            h.push_str("</tbody></table>");
        }
    }
}

fn text<'a>(lang: Lang, t: &'a vidare_effects::counterfactual::Text) -> &'a str {
    match lang {
        Lang::Sv => &t.sv,
        Lang::En => &t.en,
    }
}

fn counterfactual_section(h: &mut String, l: &L, lang: Lang, cf: &Result<Estimate, Insufficient>) {
    let _ = write!(
        h,
        "<h2>{}</h2>",
        l.pick(
            "Kontrafaktisk effekt: matchad jämförelse",
            "Counterfactual effect: matched comparison"
        )
    );
    let e = match cf {
        Err(reason) => {
            let _ = write!(
                h,
                "<p class=\"note\">{} {}</p>",
                l.pick(
                    "Ingen matchad skattning kunde göras:",
                    "No matched estimate could be made:"
                ),
                insufficient(lang, reason)
            );
            return;
        }
        Ok(e) => e,
    };
    let _ = write!(h, "<p>{}</p>", esc(text(lang, &e.method)));
    let _ = write!(
        h,
        "<table><caption>{}</caption><thead><tr><th scope=\"col\">{}</th><th scope=\"col\" class=\"r\">{}</th><th scope=\"col\" class=\"r\">{}</th><th scope=\"col\" class=\"r\">ATT</th><th scope=\"col\" class=\"r\">{}</th><th scope=\"col\" class=\"r\">p</th><th scope=\"col\" class=\"r\">{}</th></tr></thead><tbody>",
        l.pick("Effekten på de behandlade (ATT) med 95 % konfidensintervall", "The average effect on the treated (ATT) with 95 % confidence intervals"),
        l.pick("Utfall", "Outcome"),
        l.pick("Behandlade", "Treated"),
        l.pick("Kontrafaktiskt", "Counterfactual"),
        l.pick("95 % KI", "95 % CI"),
        l.pick("Ojusterad skillnad", "Unadjusted difference"),
    );
    for eff in &e.effects {
        let f = |v: f64| {
            if eff.unit == "share" {
                pct(lang, v)
            } else {
                num(lang, v, 1)
            }
        };
        let d = |v: f64| {
            if eff.unit == "share" {
                format!("{} {}", pct_points(lang, v), l.pick("p.e.", "pp"))
            } else {
                num(lang, v, 1)
            }
        };
        let _ = write!(
            h,
            "<tr><th scope=\"row\">{}</th><td class=\"r\">{}</td><td class=\"r\">{}</td><td class=\"r\">{}</td><td class=\"r\">{} – {}</td><td class=\"r\">{}</td><td class=\"r\">{}</td></tr>",
            esc(text(lang, &eff.label)),
            f(eff.treated_mean),
            f(eff.counterfactual_mean),
            d(eff.att),
            d(eff.ci_low),
            d(eff.ci_high),
            format_p(lang, eff.p_value),
            d(eff.unadjusted_difference)
        );
    }
    h.push_str("</tbody></table>");
    let m = &e.matching;
    let _ = write!(
        h,
        "<p>{}. {}: {} · {}: {} · {}: {} · {}: {} · {}: {}.</p>",
        esc(text(lang, &m.method)),
        l.pick("Behandlade", "Treated"),
        m.treated,
        l.pick("matchade", "matched"),
        m.matched,
        l.pick("utanför kalipern", "outside the caliper"),
        m.dropped_by_caliper,
        l.pick("kontroller använda", "controls used"),
        m.controls_used,
        l.pick("kaliper (SD av logit)", "caliper (SD of the logit)"),
        num(lang, m.caliper_sd, 2)
    );
    let _ = write!(
        h,
        "<h3>{}</h3><table><caption>{} ({}: {} → {})</caption><thead><tr><th scope=\"col\">{}</th><th scope=\"col\" class=\"r\">{}</th><th scope=\"col\" class=\"r\">{}</th><th scope=\"col\" class=\"r\">{}</th><th scope=\"col\" class=\"r\">{}</th><th scope=\"col\" class=\"r\">{}</th><th scope=\"col\" class=\"r\">{}</th></tr></thead><tbody>",
        l.pick("Balanstabell", "Balance table"),
        l.pick("Standardiserade medelvärdesskillnader före och efter matchning", "Standardised mean differences before and after matching"),
        l.pick("största |SMD|", "largest |SMD|"),
        num(lang, e.max_abs_smd_before, 3),
        num(lang, e.max_abs_smd_after, 3),
        l.pick("Kovariat", "Covariate"),
        l.pick("Behandlade före", "Treated before"),
        l.pick("Jämförelse före", "Comparison before"),
        l.pick("SMD före", "SMD before"),
        l.pick("Behandlade efter", "Treated after"),
        l.pick("Jämförelse efter", "Comparison after"),
        l.pick("SMD efter", "SMD after"),
    );
    for b in &e.balance {
        let _ = write!(
            h,
            "<tr><th scope=\"row\">{}</th><td class=\"r\">{}</td><td class=\"r\">{}</td><td class=\"r\">{}</td><td class=\"r\">{}</td><td class=\"r\">{}</td><td class=\"r\">{}</td></tr>",
            esc(text(lang, &b.label)),
            num(lang, b.treated_mean_before, 3),
            num(lang, b.comparison_mean_before, 3),
            num(lang, b.smd_before, 3),
            num(lang, b.treated_mean_after, 3),
            num(lang, b.comparison_mean_after, 3),
            num(lang, b.smd_after, 3)
        );
    }
    h.push_str("</tbody></table>");
    match &e.baseline {
        Figure::Value(b) => {
            let _ = write!(
                h,
                "<h3>{}</h3><p>{}: {} ({}) {} {} ({}); {}: {} {} ({}–{}). {}</p>",
                l.pick(
                    "Jämförelse med tidigare period",
                    "Comparison with the baseline period"
                ),
                l.pick("Behandlade", "Treated"),
                pct(lang, b.treated_share),
                b.treated,
                l.pick("mot", "against"),
                pct(lang, b.baseline_share),
                b.baseline,
                l.pick("skillnad", "difference"),
                pct_points(lang, b.difference),
                l.pick("p.e.", "pp"),
                pct_points(lang, b.ci_low),
                pct_points(lang, b.ci_high),
                esc(text(lang, &b.assumptions))
            );
        }
        Figure::Insufficient { reason } => {
            let _ = write!(
                h,
                "<h3>{}</h3><p>{}</p>",
                l.pick(
                    "Jämförelse med tidigare period",
                    "Comparison with the baseline period"
                ),
                insufficient(lang, reason)
            );
        }
    }
    if !e.population.exclusions.is_empty() {
        let _ = write!(
            h,
            "<table><caption>{}</caption><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\" class=\"r\">{}</th></tr></thead><tbody>",
            l.pick("Uteslutna ur analysen", "Left out of the analysis"),
            l.pick("Skäl", "Reason"),
            l.pick("Grupp", "Group"),
            l.pick("Antal", "Count"),
        );
        for x in &e.population.exclusions {
            let _ = write!(
                h,
                "<tr><th scope=\"row\">{}</th><td>{}</td><td class=\"r\">{}</td></tr>",
                esc(text(lang, &x.reason)),
                if x.treated {
                    l.pick("behandlade", "treated")
                } else {
                    l.pick("jämförelse", "comparison")
                },
                x.count
            );
        }
        h.push_str("</tbody></table>");
    }
    let _ = write!(
        h,
        "<h3>{}</h3><ul>",
        l.pick("Vad skattningen förutsätter", "What the estimate assumes")
    );
    for a in &e.assumptions {
        let _ = write!(
            h,
            "<li><b>{}.</b> {}</li>",
            esc(text(lang, &a.title)),
            esc(text(lang, &a.text))
        );
    }
    h.push_str("</ul>");
}
