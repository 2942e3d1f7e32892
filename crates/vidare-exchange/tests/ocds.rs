//! OCDS release packages: a small round built by hand validates against the vendored
//! OCDS 1.1.5 schema with its extensions and codelists, matches its snapshot, and the
//! validator rejects every kind of corruption (so a passing validation means something).
//! The demo's rounds are validated end to end in `crates/vidare/tests/export.rs`.

use chrono::{NaiveDate, TimeZone, Utc};
use proptest::prelude::*;
use serde_json::{json, Value};
use vidare_domain::model::procurement::{ContractKind, LegalBasis, RoundStatus};
use vidare_domain::money::Money;
use vidare_domain::orgnr::OrganisationNumber;
use vidare_domain::period::YearMonth;
use vidare_exchange::ocds::validate::{merge_patch, validate_package};
use vidare_exchange::ocds::{
    build_package, AgreementInput, AwardInput, BuyerInput, CriterionInput, LotInput, OcidPrefix,
    OrgInput, PackageMeta, PaymentInput, RoundInput, TenantRounds,
};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn org(payload: [u8; 9], name: &str) -> OrgInput {
    OrgInput {
        name: name.to_string(),
        org_number: OrganisationNumber::from_payload(payload).unwrap(),
    }
}

/// A small reserved round: two lots, two tenderers, an award, two agreements, and
/// payments in two months (one of them with a credit note netted in).
fn small_round(status: RoundStatus) -> RoundInput {
    let a = org(
        [7, 6, 9, 6, 0, 0, 1, 2, 3],
        "Kvarnbackens Arbetskooperativ ek. för.",
    );
    let b = org([8, 0, 2, 4, 5, 6, 7, 8, 9], "Stiftelsen Gröna Händer");
    RoundInput {
        id: 7,
        title: "Sysselsättningsplatser 2023–2024".into(),
        reference: Some("AME 2022/41".into()),
        legal_basis: LegalBasis::ReservedIntegration,
        contract_kind: ContractKind::SocialServices,
        cpv_codes: vec!["85312320-8".into(), "79611000-0".into()],
        estimated_value: Money::from_kronor(4_800_000),
        contract_start: d(2023, 1, 1),
        initial_months: 24,
        option_months: 24,
        tender_deadline: Some(Utc.with_ymd_and_hms(2022, 9, 30, 10, 0, 0).unwrap()),
        status,
        created_at: Utc.with_ymd_and_hms(2022, 5, 16, 8, 0, 0).unwrap(),
        lots: vec![
            LotInput {
                number: 1,
                title: "Snickeri".into(),
                description: Some("Snickeri och fastighetsskötsel".into()),
                placement_type: "Snickeri".into(),
                places: 6,
                max_price_per_month: Money::from_kronor(4_500),
                reserved: true,
                tenders: 2,
            },
            LotInput {
                number: 2,
                title: "Trädgård".into(),
                description: None,
                placement_type: "Trädgård".into(),
                places: 4,
                max_price_per_month: Money::from_kronor(4_500),
                reserved: true,
                tenders: 1,
            },
        ],
        criteria: vec![
            CriterionInput {
                price: true,
                name: "Pris".into(),
                weight_percent: 40,
            },
            CriterionInput {
                price: false,
                name: "Kvalitet".into(),
                weight_percent: 60,
            },
        ],
        tenderers: vec![a.clone(), b.clone()],
        award: Some(AwardInput {
            decided_on: d(2022, 11, 14),
            sent_on: d(2022, 11, 15),
            standstill_end: d(2022, 11, 25),
        }),
        agreements: vec![
            AgreementInput {
                id: 11,
                lot_number: Some(1),
                supplier: a,
                capacity: 4,
                price_per_month: Money::from_ore(285_050),
                start: d(2023, 1, 1),
                end: Some(d(2026, 12, 31)),
                signed_on: Some(d(2022, 11, 28)),
                payments: vec![
                    PaymentInput {
                        month: YearMonth::new(2023, 1).unwrap(),
                        amount: Money::from_ore(1_140_200),
                        date: d(2023, 2, 28),
                    },
                    PaymentInput {
                        month: YearMonth::new(2023, 2).unwrap(),
                        amount: Money::from_ore(998_450),
                        date: d(2023, 3, 31),
                    },
                ],
            },
            AgreementInput {
                id: 12,
                lot_number: Some(2),
                supplier: b,
                capacity: 2,
                price_per_month: Money::from_kronor(2_900),
                start: d(2023, 1, 1),
                end: Some(d(2026, 12, 31)),
                signed_on: Some(d(2022, 11, 28)),
                payments: Vec::new(),
            },
        ],
    }
}

/// The municipality's organisation number (fictitious, in the municipalities' series).
fn municipality_number() -> OrganisationNumber {
    OrganisationNumber::parse("212000-9994").unwrap()
}

fn package_of(rounds: Vec<RoundInput>, today: NaiveDate) -> Value {
    package_with_buyer(rounds, today, Some(municipality_number()))
}

fn package_with_buyer(
    rounds: Vec<RoundInput>,
    today: NaiveDate,
    buyer_number: Option<OrganisationNumber>,
) -> Value {
    build_package(
        &PackageMeta {
            uri: "https://vidare.example/oppen-data/ocds/7.json".into(),
            publisher_name: "Storsjö kommun".into(),
            publisher_org_number: buyer_number,
            publication_policy: Some("https://vidare.example/oppen-data".into()),
            today,
        },
        &[TenantRounds {
            buyer: BuyerInput {
                name: "Storsjö kommun".into(),
                slug: "storsjo".into(),
                org_number: buyer_number,
            },
            prefix: OcidPrefix::test(),
            rounds,
        }],
    )
}

fn small_package() -> Value {
    package_of(vec![small_round(RoundStatus::Contracted)], d(2025, 12, 31))
}

fn assert_valid(p: &Value) {
    let problems = validate_package(p);
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems
            .iter()
            .map(|p| p.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn a_small_round_validates_with_its_extensions_and_codelists() {
    let p = small_package();
    assert_valid(&p);
    let releases = p["releases"].as_array().unwrap();
    let tags: Vec<&str> = releases
        .iter()
        .map(|r| r["tag"][0].as_str().unwrap())
        .collect();
    assert_eq!(
        tags,
        [
            "tender",
            "tenderUpdate",
            "award",
            "contract",
            "implementation"
        ]
    );
    // One stable ocid, distinct release ids.
    assert!(releases
        .iter()
        .all(|r| r["ocid"] == "ocds-213czf-storsjo-7"));
    let mut ids: Vec<&str> = releases.iter().map(|r| r["id"].as_str().unwrap()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), releases.len());
    // The reservation, on the tender and on each lot.
    let tender = &releases[0]["tender"];
    assert_eq!(
        tender["otherRequirements"]["reservedParticipation"],
        json!(["shelteredWorkshop"])
    );
    assert_eq!(
        tender["lots"][1]["otherRequirements"]["reservedParticipation"],
        json!(["shelteredWorkshop"])
    );
    // Nothing about tenders in the tender release.
    assert!(tender.get("tenderers").is_none());
    assert!(releases[0].get("bids").is_none());
    // Tenderers and suppliers by organisation number.
    let parties = releases[2]["parties"].as_array().unwrap();
    let kvarn = parties
        .iter()
        .find(|p| p["identifier"]["id"] == "7696001234")
        .unwrap_or_else(|| panic!("{parties:?}"));
    assert_eq!(kvarn["identifier"]["scheme"], "SE-BLV");
    assert_eq!(kvarn["roles"], json!(["tenderer", "supplier"]));
    // Payments: monthly sums per contract, with the buyer as payer.
    let tx = &releases[4]["contracts"][0]["implementation"]["transactions"];
    assert_eq!(tx[0]["value"], json!({"amount": 11402, "currency": "SEK"}));
    assert_eq!(tx[1]["value"]["amount"], json!(9984.5));
    assert_eq!(
        releases[4]["id"],
        "ocds-213czf-storsjo-7-implementation-2023-02"
    );
    // The package is dated by its newest release.
    assert_eq!(p["publishedDate"], releases[4]["date"]);
    // The buyer by its organisation number, in every release.
    for r in releases {
        let buyer = &r["parties"][0];
        assert_eq!(buyer["id"], "SE-BLV-2120009994");
        assert_eq!(
            buyer["identifier"],
            json!({"scheme": "SE-BLV", "id": "2120009994", "legalName": "Storsjö kommun"})
        );
        assert_eq!(r["buyer"]["id"], "SE-BLV-2120009994");
        assert_eq!(r["buyer"]["name"], "Storsjö kommun");
    }
    assert_eq!(
        releases[0]["tender"]["procuringEntity"]["id"],
        "SE-BLV-2120009994"
    );
    assert_eq!(
        releases[4]["contracts"][0]["implementation"]["transactions"][0]["payer"]["id"],
        "SE-BLV-2120009994"
    );
    assert_eq!(p["publisher"]["scheme"], "SE-BLV");
    assert_eq!(p["publisher"]["uid"], "2120009994");
}

#[test]
fn a_buyer_without_an_organisation_number_is_named_by_its_short_name() {
    let p = package_with_buyer(
        vec![small_round(RoundStatus::Contracted)],
        d(2025, 12, 31),
        None,
    );
    assert_valid(&p);
    for r in p["releases"].as_array().unwrap() {
        assert_eq!(r["buyer"]["id"], "buyer-storsjo");
        assert_eq!(r["parties"][0]["id"], "buyer-storsjo");
        assert!(r["parties"][0].get("identifier").is_none());
    }
    assert!(p["publisher"].get("uid").is_none());
}

#[test]
fn every_stage_of_a_round_validates() {
    for (status, today) in [
        (RoundStatus::Published, d(2022, 6, 1)),
        (RoundStatus::Evaluation, d(2022, 10, 10)),
        (RoundStatus::Awarded, d(2022, 11, 20)),
        (RoundStatus::Cancelled, d(2022, 11, 20)),
    ] {
        let mut r = small_round(status);
        if matches!(status, RoundStatus::Published | RoundStatus::Evaluation) {
            r.award = None;
            r.agreements.clear();
        }
        if status == RoundStatus::Published {
            r.tenderers.clear();
            r.tender_deadline = Some(Utc.with_ymd_and_hms(2099, 1, 1, 10, 0, 0).unwrap());
        }
        if matches!(status, RoundStatus::Awarded | RoundStatus::Cancelled) {
            for a in &mut r.agreements {
                a.signed_on = None;
                a.payments.clear();
            }
        }
        let p = package_of(vec![r], today);
        assert_valid(&p);
        let last = p["releases"].as_array().unwrap().last().unwrap().clone();
        match status {
            RoundStatus::Published => {
                assert_eq!(p["releases"].as_array().unwrap().len(), 1);
                assert_eq!(last["tender"]["status"], "active");
            }
            RoundStatus::Evaluation => assert_eq!(last["tag"], json!(["tenderUpdate"])),
            RoundStatus::Awarded => assert_eq!(last["awards"][0]["status"], "pending"),
            RoundStatus::Cancelled => assert_eq!(last["awards"][0]["status"], "cancelled"),
            _ => unreachable!(),
        }
    }
}

#[test]
fn the_package_matches_its_snapshot() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots/ocds_small_round.json");
    let actual = serde_json::to_string_pretty(&small_package()).unwrap() + "\n";
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path)
        .expect("snapshot missing: run with UPDATE_SNAPSHOTS=1 once and review the file");
    assert_eq!(
        actual, expected,
        "the package changed; review and run with UPDATE_SNAPSHOTS=1"
    );
}

/// What is corrupted, how, and where the problem must be reported.
type Corruption = (&'static str, Box<dyn Fn(&mut Value)>, &'static str);

/// Every kind of corruption the validator must catch.
fn corruptions() -> Vec<Corruption> {
    vec![
        (
            "unknown release tag",
            Box::new(|p: &mut Value| p["releases"][0]["tag"] = json!(["tendering"])),
            "/releases/0/tag/0",
        ),
        (
            "missing ocid",
            Box::new(|p: &mut Value| {
                p["releases"][1].as_object_mut().unwrap().remove("ocid");
            }),
            "/releases/1",
        ),
        (
            "currency outside the closed codelist",
            Box::new(|p: &mut Value| {
                p["releases"][0]["tender"]["value"]["currency"] = json!("KRONOR")
            }),
            "/releases/0/tender/value/currency",
        ),
        (
            "reserved participation outside its (open) codelist",
            Box::new(|p: &mut Value| {
                p["releases"][0]["tender"]["otherRequirements"]["reservedParticipation"] =
                    json!(["socialEnterprise"])
            }),
            "/releases/0/tender/otherRequirements/reservedParticipation/0",
        ),
        (
            "party role outside its codelist",
            Box::new(|p: &mut Value| p["releases"][2]["parties"][1]["roles"] = json!(["bidder"])),
            "/releases/2/parties/1/roles/0",
        ),
        (
            "a date that is not a date-time",
            Box::new(|p: &mut Value| p["releases"][0]["date"] = json!("2022-05-16")),
            "/releases/0/date",
        ),
        (
            "a lot status outside tenderStatus",
            Box::new(|p: &mut Value| {
                p["releases"][0]["tender"]["lots"][0]["status"] = json!("open")
            }),
            "/releases/0/tender/lots/0/status",
        ),
        (
            "a framework method outside its codelist",
            Box::new(|p: &mut Value| {
                p["releases"][0]["tender"]["techniques"]["frameworkAgreement"]["method"] =
                    json!("ranking")
            }),
            "/releases/0/tender/techniques/frameworkAgreement/method",
        ),
        (
            "a bid statistic that is not a number",
            Box::new(|p: &mut Value| {
                p["releases"][1]["bids"]["statistics"][0]["value"] = json!("two")
            }),
            "/releases/1/bids/statistics/0/value",
        ),
        (
            "a count that is not an integer",
            Box::new(|p: &mut Value| {
                p["releases"][1]["tender"]["numberOfTenderers"] = json!("many")
            }),
            "/releases/1/tender/numberOfTenderers",
        ),
        (
            "an empty package",
            Box::new(|p: &mut Value| p["releases"] = json!([])),
            "/releases",
        ),
        (
            "a version that is not major.minor",
            Box::new(|p: &mut Value| p["version"] = json!("1.1.5")),
            "/version",
        ),
        (
            "an extension that is not vendored",
            Box::new(|p: &mut Value| {
                p["extensions"]
                    .as_array_mut()
                    .unwrap()
                    .push(json!("https://example.invalid/extension.json"))
            }),
            "/extensions",
        ),
    ]
}

#[test]
fn the_validator_bites() {
    let good = small_package();
    assert_valid(&good);
    for (what, corrupt, path) in corruptions() {
        let mut p = good.clone();
        corrupt(&mut p);
        let problems = validate_package(&p);
        assert!(
            problems.iter().any(|x| x.path == path),
            "{what}: expected a problem at {path}, got {problems:?}"
        );
    }
}

#[test]
fn merge_patch_follows_rfc_7396() {
    // RFC 7396 appendix A, a few of its cases.
    let cases = [
        (json!({"a": "b"}), json!({"a": "c"}), json!({"a": "c"})),
        (
            json!({"a": "b"}),
            json!({"b": "c"}),
            json!({"a": "b", "b": "c"}),
        ),
        (json!({"a": "b"}), json!({"a": null}), json!({})),
        (json!({"a": ["b"]}), json!({"a": "c"}), json!({"a": "c"})),
        (
            json!({"a": {"b": "c"}}),
            json!({"a": {"b": "d", "c": null}}),
            json!({"a": {"b": "d"}}),
        ),
        (json!(["a", "b"]), json!(["c", "d"]), json!(["c", "d"])),
        (
            json!({"e": null}),
            json!({"a": 1}),
            json!({"e": null, "a": 1}),
        ),
    ];
    for (mut target, patch, expected) in cases {
        merge_patch(&mut target, &patch);
        assert_eq!(target, expected);
    }
}

/// Every codelist-typed place in a package, with a value that is in its codelist.
fn codelist_places() -> Vec<&'static str> {
    vec![
        "/releases/0/tag/0",
        "/releases/0/initiationType",
        "/releases/0/tender/status",
        "/releases/0/tender/procurementMethod",
        "/releases/0/tender/mainProcurementCategory",
        "/releases/0/tender/awardCriteria",
        "/releases/0/tender/submissionMethod/0",
        "/releases/0/tender/items/0/classification/scheme",
        "/releases/0/tender/value/currency",
        "/releases/0/parties/0/roles/0",
        "/releases/2/awards/0/status",
        "/releases/3/contracts/0/status",
        "/releases/1/bids/statistics/0/measure",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Any string that is not a code, put in any codelist-typed place, fails validation.
    #[test]
    fn any_non_code_in_a_codelist_place_fails(place in 0usize..13, junk in "[a-zA-Z]{1,12}") {
        let codes = ["tender", "tenderUpdate", "award", "contract", "implementation", "active",
            "complete", "open", "services", "ratedCriteria", "electronicSubmission", "CPV", "SEK",
            "buyer", "pending", "bids", "planning", "cancelled", "supplier", "tenderer",
            "procuringEntity", "payer", "payee", "terminated", "priceOnly", "goods", "works",
            "selective", "limited", "direct", "written", "inPerson", "validBids", "requests",
            "bidders", "unsuccessful", "planned", "withdrawn", "funder", "enquirer",
            "reviewBody", "interestedParty", "costOnly", "qualityOnly", "planningUpdate",
            "tenderAmendment", "tenderCancellation", "awardUpdate", "awardCancellation",
            "contractUpdate", "contractAmendment", "implementationUpdate",
            "contractTermination", "compiled", "electronicAuction", "consultingServices",
            "CPVS", "GSIN", "UNSPSC", "OKDP", "OKPD"];
        prop_assume!(!codes.contains(&junk.as_str()));
        // Currency codes are three capital letters; skip any that happen to be one.
        prop_assume!(!(junk.len() == 3 && junk.chars().all(|c| c.is_ascii_uppercase())));
        let mut p = small_package();
        let path = codelist_places()[place];
        *p.pointer_mut(path).unwrap() = json!(junk);
        let problems = validate_package(&p);
        prop_assert!(problems.iter().any(|x| x.path == path), "{path} = {junk}: {problems:?}");
    }

    /// Removing any required field of a release fails validation.
    #[test]
    fn removing_a_required_release_field_fails(release in 0usize..5, field in 0usize..4) {
        let name = ["ocid", "id", "date", "tag"][field];
        let mut p = small_package();
        p["releases"][release].as_object_mut().unwrap().remove(name);
        prop_assert!(!validate_package(&p).is_empty(), "{release}/{name}");
    }
}
