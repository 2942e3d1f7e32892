//! Building the release package from the input structs.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde_json::{json, Map, Value};
use vidare_domain::deadline::Deadline;
use vidare_domain::model::procurement::{ContractKind, LegalBasis, RoundStatus};
use vidare_domain::money::Money;

use super::{
    AgreementInput, BuyerInput, OcidPrefix, OrgInput, PackageMeta, RoundInput, TenantRounds,
    EXTENSIONS, LICENSE_URL, ORG_SCHEME,
};

/// Builds one release package holding every release of every round given. The
/// package's `publishedDate` is the newest release's date, so a package built twice from
/// the same data is the same.
pub fn build_package(meta: &PackageMeta, tenants: &[TenantRounds]) -> Value {
    let mut releases = Vec::new();
    for t in tenants {
        for r in &t.rounds {
            releases.extend(round_releases(&t.prefix, &t.buyer, r, meta.today));
        }
    }
    let published = releases
        .iter()
        .filter_map(|r| r["date"].as_str().map(str::to_string))
        .max()
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_string());
    let mut publisher = Map::new();
    publisher.insert("name".into(), json!(meta.publisher_name));
    if let Some(o) = &meta.publisher_org_number {
        publisher.insert("scheme".into(), json!(ORG_SCHEME));
        publisher.insert("uid".into(), json!(o.canonical()));
    }
    let mut package = Map::new();
    package.insert("uri".into(), json!(meta.uri));
    package.insert("version".into(), json!("1.1"));
    package.insert(
        "extensions".into(),
        json!(EXTENSIONS.iter().map(|(u, _)| *u).collect::<Vec<_>>()),
    );
    package.insert("publishedDate".into(), json!(published));
    package.insert("publisher".into(), Value::Object(publisher));
    package.insert("license".into(), json!(LICENSE_URL));
    if let Some(p) = &meta.publication_policy {
        package.insert("publicationPolicy".into(), json!(p));
    }
    package.insert("releases".into(), Value::Array(releases));
    Value::Object(package)
}

/// An amount in kronor as a JSON number (öre are exact in two decimals).
fn amount(m: Money) -> Value {
    let ore = m.ore();
    if ore % 100 == 0 {
        json!(ore / 100)
    } else {
        json!(ore as f64 / 100.0)
    }
}

fn value(m: Money) -> Value {
    json!({ "amount": amount(m), "currency": "SEK" })
}

/// RFC 3339 in UTC with seconds.
fn instant(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Midnight of a date in Stockholm, as an instant.
fn day(d: NaiveDate) -> String {
    let local = d.and_hms_opt(0, 0, 0).expect("midnight exists");
    match Deadline::new(local) {
        Ok(dl) => instant(dl.instant()),
        // Midnight is never in a daylight-saving gap in Stockholm; keep a valid value anyway.
        Err(_) => format!("{d}T00:00:00Z"),
    }
}

/// The end of a date in Stockholm (23:59:59), for period ends.
fn day_end(d: NaiveDate) -> String {
    let local = d.and_hms_opt(23, 59, 59).expect("time exists");
    match Deadline::new(local) {
        Ok(dl) => instant(dl.instant()),
        Err(_) => format!("{d}T23:59:59Z"),
    }
}

fn org_party_id(o: &OrgInput) -> String {
    format!("{ORG_SCHEME}-{}", o.org_number.canonical())
}

fn org_ref(o: &OrgInput) -> Value {
    json!({ "id": org_party_id(o), "name": o.name })
}

fn buyer_party_id(b: &BuyerInput) -> String {
    match &b.org_number {
        Some(n) => format!("{ORG_SCHEME}-{}", n.canonical()),
        None => format!("buyer-{}", b.slug),
    }
}

fn buyer_ref(b: &BuyerInput) -> Value {
    json!({ "id": buyer_party_id(b), "name": b.name })
}

/// Parties of a release: the buyer and the organisations with their roles.
struct Parties {
    buyer: Value,
    orgs: BTreeMap<String, (OrgInput, Vec<&'static str>)>,
}

impl Parties {
    fn new(b: &BuyerInput) -> Parties {
        let mut party = Map::new();
        party.insert("id".into(), json!(buyer_party_id(b)));
        party.insert("name".into(), json!(b.name));
        if let Some(n) = &b.org_number {
            party.insert(
                "identifier".into(),
                json!({ "scheme": ORG_SCHEME, "id": n.canonical(), "legalName": b.name }),
            );
        }
        party.insert("address".into(), json!({ "countryName": "Sverige" }));
        party.insert("roles".into(), json!(["buyer", "procuringEntity"]));
        Parties {
            buyer: Value::Object(party),
            orgs: BTreeMap::new(),
        }
    }

    fn add(&mut self, o: &OrgInput, role: &'static str) {
        let entry = self
            .orgs
            .entry(org_party_id(o))
            .or_insert_with(|| (o.clone(), Vec::new()));
        if !entry.1.contains(&role) {
            entry.1.push(role);
        }
    }

    fn into_json(self) -> Value {
        let mut out = vec![self.buyer];
        for (id, (o, roles)) in self.orgs {
            out.push(json!({
                "id": id,
                "name": o.name,
                "identifier": {
                    "scheme": ORG_SCHEME,
                    "id": o.org_number.canonical(),
                    "legalName": o.name,
                },
                "address": { "countryName": "Sverige" },
                "roles": roles,
            }));
        }
        Value::Array(out)
    }
}

/// `tender.status` (and a lot's status) for a round.
fn tender_status(s: RoundStatus) -> &'static str {
    match s {
        RoundStatus::Planning => "planning",
        RoundStatus::Published | RoundStatus::Evaluation | RoundStatus::Awarded => "active",
        RoundStatus::Contracted => "complete",
        RoundStatus::Cancelled => "cancelled",
    }
}

/// The reservation codes of the otherRequirements extension (eForms BT-71): `res-ws`
/// for LOU 4 kap. 18 § (directive art. 20); LOU 19 kap. 25 a § (registered idea-driven
/// organisations) is closest to art. 77's public-service-mission reservation.
fn reservation(b: LegalBasis) -> Option<&'static str> {
    match b {
        LegalBasis::ReservedIntegration => Some("shelteredWorkshop"),
        LegalBasis::ReservedIdeaDriven => Some("publicServiceMissionOrganization"),
        LegalBasis::NotReserved => None,
    }
}

fn legal_basis_text(b: LegalBasis) -> &'static str {
    match b {
        LegalBasis::ReservedIntegration => {
            "Öppet förfarande, reserverat enligt LOU 4 kap. 18 § (direktiv 2014/24/EU art. 20)"
        }
        LegalBasis::ReservedIdeaDriven => {
            "Öppet förfarande, reserverat för registrerade idéburna organisationer enligt LOU 19 kap. 25 a §"
        }
        LegalBasis::NotReserved => "Öppet förfarande, inte reserverat",
    }
}

fn contract_end(r: &RoundInput) -> Option<NaiveDate> {
    r.contract_start
        .checked_add_months(chrono::Months::new(r.initial_months + r.option_months))
        .and_then(|d| d.pred_opt())
}

fn initial_end(r: &RoundInput) -> Option<NaiveDate> {
    r.contract_start
        .checked_add_months(chrono::Months::new(r.initial_months))
        .and_then(|d| d.pred_opt())
}

fn tender_block(r: &RoundInput, buyer: &BuyerInput, deadline_passed: bool) -> Value {
    let mut t = Map::new();
    t.insert("id".into(), json!(r.id.to_string()));
    t.insert("title".into(), json!(r.title));
    if let Some(reference) = &r.reference {
        t.insert(
            "description".into(),
            json!(format!("{} (referens {reference})", r.title)),
        );
    }
    t.insert("status".into(), json!(tender_status(r.status)));
    t.insert("procuringEntity".into(), buyer_ref(buyer));
    let cpv = |i: usize| r.cpv_codes.get(i).cloned();
    let items: Vec<Value> = r
        .lots
        .iter()
        .map(|l| {
            let mut item = Map::new();
            item.insert("id".into(), json!(format!("lot-{}", l.number)));
            item.insert(
                "description".into(),
                json!(format!("Sysselsättningsplatser: {}", l.placement_type)),
            );
            if let Some(code) = cpv(0) {
                item.insert(
                    "classification".into(),
                    json!({ "scheme": "CPV", "id": code }),
                );
            }
            if r.cpv_codes.len() > 1 {
                item.insert(
                    "additionalClassifications".into(),
                    Value::Array(
                        r.cpv_codes[1..]
                            .iter()
                            .map(|c| json!({ "scheme": "CPV", "id": c }))
                            .collect(),
                    ),
                );
            }
            item.insert("quantity".into(), json!(l.places));
            item.insert(
                "unit".into(),
                json!({ "name": "plats per månad", "value": value(l.max_price_per_month) }),
            );
            item.insert("relatedLot".into(), json!(l.number.to_string()));
            Value::Object(item)
        })
        .collect();
    if !items.is_empty() {
        t.insert("items".into(), Value::Array(items));
    }
    t.insert("value".into(), value(r.estimated_value));
    t.insert("procurementMethod".into(), json!("open"));
    t.insert(
        "procurementMethodDetails".into(),
        json!(legal_basis_text(r.legal_basis)),
    );
    t.insert("mainProcurementCategory".into(), json!("services"));
    if r.contract_kind == ContractKind::SocialServices {
        t.insert(
            "procurementMethodRationale".into(),
            json!("Sociala tjänster och andra särskilda tjänster (LOU bilaga 2)"),
        );
    }
    if !r.criteria.is_empty() {
        let all_price = r.criteria.iter().all(|c| c.price);
        t.insert(
            "awardCriteria".into(),
            json!(if all_price {
                "priceOnly"
            } else {
                "ratedCriteria"
            }),
        );
        t.insert(
            "awardCriteriaDetails".into(),
            json!(r
                .criteria
                .iter()
                .map(|c| format!("{} {} %", c.name, c.weight_percent))
                .collect::<Vec<_>>()
                .join(", ")),
        );
    }
    t.insert("submissionMethod".into(), json!(["electronicSubmission"]));
    let mut period = Map::new();
    period.insert("startDate".into(), json!(instant(r.created_at)));
    if let Some(d) = r.tender_deadline {
        period.insert("endDate".into(), json!(instant(d)));
    }
    t.insert("tenderPeriod".into(), Value::Object(period));
    let contract_period = contract_period_json(r);
    t.insert("contractPeriod".into(), contract_period.clone());
    if deadline_passed {
        t.insert("numberOfTenderers".into(), json!(r.tenderers.len()));
        if !r.tenderers.is_empty() {
            t.insert(
                "tenderers".into(),
                Value::Array(r.tenderers.iter().map(org_ref).collect()),
            );
        }
    }
    let reserved = reservation(r.legal_basis);
    if let Some(code) = reserved {
        t.insert(
            "otherRequirements".into(),
            json!({ "reservedParticipation": [code] }),
        );
    }
    let framework = json!({
        "hasFrameworkAgreement": true,
        "frameworkAgreement": {
            "method": "withoutReopeningCompetition",
            "period": contract_period,
            "description": "Ramavtal med rangordnade leverantörer per delområde; avrop sker genom anvisning av deltagare.",
        },
    });
    t.insert("techniques".into(), framework.clone());
    let total_months = i64::from(r.initial_months + r.option_months);
    let lots: Vec<Value> = r
        .lots
        .iter()
        .map(|l| {
            let mut lot = Map::new();
            lot.insert("id".into(), json!(l.number.to_string()));
            lot.insert("title".into(), json!(l.title));
            if let Some(d) = &l.description {
                lot.insert("description".into(), json!(d));
            }
            lot.insert("status".into(), json!(tender_status(r.status)));
            let lot_value = l
                .max_price_per_month
                .checked_mul(i64::from(l.places) * total_months)
                .unwrap_or(l.max_price_per_month);
            lot.insert("value".into(), value(lot_value));
            lot.insert("contractPeriod".into(), contract_period_json(r));
            if let (true, Some(code)) = (l.reserved, reserved) {
                lot.insert(
                    "otherRequirements".into(),
                    json!({ "reservedParticipation": [code] }),
                );
            }
            lot.insert("techniques".into(), framework.clone());
            Value::Object(lot)
        })
        .collect();
    if !lots.is_empty() {
        t.insert("lots".into(), Value::Array(lots));
    }
    Value::Object(t)
}

fn contract_period_json(r: &RoundInput) -> Value {
    let mut p = Map::new();
    p.insert("startDate".into(), json!(day(r.contract_start)));
    if let Some(e) = initial_end(r) {
        p.insert("endDate".into(), json!(day_end(e)));
    }
    if let Some(e) = contract_end(r) {
        p.insert("maxExtentDate".into(), json!(day_end(e)));
    }
    Value::Object(p)
}

fn bid_statistics(r: &RoundInput, date: &str) -> Value {
    let mut stats = vec![json!({
        "id": "bids",
        "measure": "bids",
        "date": date,
        "value": r.tenderers.len(),
    })];
    for l in &r.lots {
        stats.push(json!({
            "id": format!("bids-lot-{}", l.number),
            "measure": "bids",
            "date": date,
            "value": l.tenders,
            "relatedLot": l.number.to_string(),
        }));
    }
    json!({ "statistics": stats })
}

fn award_id(r: &RoundInput, lot: Option<u32>) -> String {
    match lot {
        Some(n) => format!("{}-lot-{n}", r.id),
        None => format!("{}-award", r.id),
    }
}

/// Awards: one per lot with agreements, listing the lot's suppliers.
fn awards(r: &RoundInput, today: NaiveDate, parties: &mut Parties) -> Vec<Value> {
    let Some(a) = &r.award else {
        return Vec::new();
    };
    let mut by_lot: BTreeMap<Option<u32>, Vec<&AgreementInput>> = BTreeMap::new();
    for ag in &r.agreements {
        by_lot.entry(ag.lot_number).or_default().push(ag);
    }
    by_lot
        .into_iter()
        .map(|(lot, ags)| {
            for ag in &ags {
                parties.add(&ag.supplier, "supplier");
            }
            let status = if r.status == RoundStatus::Cancelled {
                "cancelled"
            } else if today > a.standstill_end || ags.iter().any(|g| g.signed_on.is_some()) {
                "active"
            } else {
                "pending"
            };
            let title = match lot.and_then(|n| r.lots.iter().find(|l| l.number == n)) {
                Some(l) => format!("Delområde {}: {}", l.number, l.title),
                None => r.title.clone(),
            };
            let mut award = Map::new();
            award.insert("id".into(), json!(award_id(r, lot)));
            award.insert("title".into(), json!(title));
            award.insert("status".into(), json!(status));
            award.insert("date".into(), json!(day(a.decided_on)));
            award.insert(
                "suppliers".into(),
                Value::Array(ags.iter().map(|g| org_ref(&g.supplier)).collect()),
            );
            award.insert(
                "contractPeriod".into(),
                json!({ "startDate": day(r.contract_start) }),
            );
            if let Some(n) = lot {
                award.insert("relatedLots".into(), json!([n.to_string()]));
            }
            Value::Object(award)
        })
        .collect()
}

fn contract_status(ag: &AgreementInput, round: RoundStatus, today: NaiveDate) -> &'static str {
    match ag.signed_on {
        None if round == RoundStatus::Cancelled => "cancelled",
        None => "pending",
        Some(_) => match ag.end {
            Some(end) if end < today => "terminated",
            _ => "active",
        },
    }
}

fn contract(
    r: &RoundInput,
    buyer: &BuyerInput,
    ag: &AgreementInput,
    today: NaiveDate,
    with_payments: bool,
) -> Value {
    let lot = ag
        .lot_number
        .and_then(|n| r.lots.iter().find(|l| l.number == n));
    let mut c = Map::new();
    c.insert("id".into(), json!(format!("agreement-{}", ag.id)));
    c.insert("awardID".into(), json!(award_id(r, ag.lot_number)));
    c.insert(
        "title".into(),
        json!(match lot {
            Some(l) => format!(
                "Ramavtal delområde {} ({}): {}",
                l.number, l.title, ag.supplier.name
            ),
            None => format!("Ramavtal: {}", ag.supplier.name),
        }),
    );
    c.insert("status".into(), json!(contract_status(ag, r.status, today)));
    let mut period = Map::new();
    period.insert("startDate".into(), json!(day(ag.start)));
    if let Some(e) = ag.end {
        period.insert("endDate".into(), json!(day_end(e)));
    }
    c.insert("period".into(), Value::Object(period));
    let mut item = Map::new();
    item.insert("id".into(), json!("1"));
    item.insert(
        "description".into(),
        json!(match lot {
            Some(l) => format!("Sysselsättningsplatser: {}", l.placement_type),
            None => "Sysselsättningsplatser".to_string(),
        }),
    );
    if let Some(code) = r.cpv_codes.first() {
        item.insert(
            "classification".into(),
            json!({ "scheme": "CPV", "id": code }),
        );
    }
    item.insert("quantity".into(), json!(ag.capacity));
    item.insert(
        "unit".into(),
        json!({ "name": "plats per månad", "value": value(ag.price_per_month) }),
    );
    c.insert("items".into(), json!([Value::Object(item)]));
    if let Some(d) = ag.signed_on {
        c.insert("dateSigned".into(), json!(day(d)));
    }
    if with_payments && !ag.payments.is_empty() {
        let transactions: Vec<Value> = ag
            .payments
            .iter()
            .map(|p| {
                json!({
                    "id": format!("agreement-{}-{}", ag.id, p.month),
                    "date": day(p.date),
                    "value": value(p.amount),
                    "payer": buyer_ref(buyer),
                    "payee": org_ref(&ag.supplier),
                })
            })
            .collect();
        c.insert(
            "implementation".into(),
            json!({ "transactions": transactions }),
        );
    }
    Value::Object(c)
}

fn release(
    ocid: &str,
    stage: &str,
    date: String,
    tag: &str,
    parties: Parties,
    buyer: &BuyerInput,
    body: Vec<(&str, Value)>,
) -> Value {
    let mut rel = Map::new();
    rel.insert("ocid".into(), json!(ocid));
    rel.insert("id".into(), json!(format!("{ocid}-{stage}")));
    rel.insert("date".into(), json!(date));
    rel.insert("tag".into(), json!([tag]));
    rel.insert("initiationType".into(), json!("tender"));
    rel.insert("language".into(), json!("sv"));
    rel.insert("parties".into(), parties.into_json());
    rel.insert("buyer".into(), buyer_ref(buyer));
    for (k, v) in body {
        rel.insert(k.into(), v);
    }
    Value::Object(rel)
}

/// The releases of one round, oldest first.
fn round_releases(
    prefix: &OcidPrefix,
    buyer: &BuyerInput,
    r: &RoundInput,
    today: NaiveDate,
) -> Vec<Value> {
    let ocid = prefix.ocid(&buyer.slug, r.id);
    let now_passed = r.tender_deadline.is_some_and(|d| d.date_naive() < today)
        || matches!(
            r.status,
            RoundStatus::Evaluation | RoundStatus::Awarded | RoundStatus::Contracted
        );
    let mut out = Vec::new();

    // The tender as advertised: nothing about tenders.
    out.push(release(
        &ocid,
        "tender",
        instant(r.created_at),
        "tender",
        Parties::new(buyer),
        buyer,
        vec![("tender", tender_block(r, buyer, false))],
    ));

    // Once the deadline has passed: who tendered, and how many tenders each lot got.
    if let (true, Some(deadline)) = (now_passed, r.tender_deadline) {
        let date = instant(deadline);
        let mut parties = Parties::new(buyer);
        for o in &r.tenderers {
            parties.add(o, "tenderer");
        }
        out.push(release(
            &ocid,
            "tenderUpdate",
            date.clone(),
            "tenderUpdate",
            parties,
            buyer,
            vec![
                ("tender", tender_block(r, buyer, true)),
                ("bids", bid_statistics(r, &date)),
            ],
        ));
    }

    // The award decision: suppliers per lot.
    if let Some(a) = &r.award {
        let mut parties = Parties::new(buyer);
        for o in &r.tenderers {
            parties.add(o, "tenderer");
        }
        let awards = awards(r, today, &mut parties);
        if !awards.is_empty() {
            out.push(release(
                &ocid,
                "award",
                day(a.sent_on),
                "award",
                parties,
                buyer,
                vec![("awards", Value::Array(awards))],
            ));
        }
    }

    // The signed framework agreements.
    let signed: Vec<&AgreementInput> = r
        .agreements
        .iter()
        .filter(|a| a.signed_on.is_some())
        .collect();
    if r.award.is_some() && !signed.is_empty() {
        let date = signed
            .iter()
            .filter_map(|a| a.signed_on)
            .max()
            .expect("non-empty");
        let mut parties = Parties::new(buyer);
        for ag in &signed {
            parties.add(&ag.supplier, "supplier");
        }
        out.push(release(
            &ocid,
            "contract",
            day(date),
            "contract",
            parties,
            buyer,
            vec![(
                "contracts",
                Value::Array(
                    signed
                        .iter()
                        .map(|ag| contract(r, buyer, ag, today, false))
                        .collect(),
                ),
            )],
        ));

        // Payments so far, summed per agreement and month.
        let paid: Vec<&&AgreementInput> =
            signed.iter().filter(|a| !a.payments.is_empty()).collect();
        if let Some(last) = paid
            .iter()
            .flat_map(|a| a.payments.iter())
            .max_by_key(|p| (p.date, p.month))
        {
            let mut parties = Parties::new(buyer);
            for ag in &paid {
                parties.add(&ag.supplier, "supplier");
                // The payee of a transaction is a party too.
                parties.add(&ag.supplier, "payee");
            }
            let last_month = paid
                .iter()
                .flat_map(|a| a.payments.iter().map(|p| p.month))
                .max()
                .expect("non-empty");
            let mut rel = release(
                &ocid,
                &format!("implementation-{last_month}"),
                day(last.date),
                "implementation",
                parties,
                buyer,
                vec![(
                    "contracts",
                    Value::Array(
                        paid.iter()
                            .map(|ag| contract(r, buyer, ag, today, true))
                            .collect(),
                    ),
                )],
            );
            // The buyer pays: add the role to the buyer's party.
            if let Some(p) = rel["parties"][0]["roles"].as_array_mut() {
                p.push(json!("payer"));
            }
            out.push(rel);
        }
    }
    out
}
