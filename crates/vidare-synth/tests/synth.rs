//! The generator's promises: determinism, a self-consistent truth, calibration to the
//! published figures, valid values, and data that land in both backends.

use std::collections::HashSet;

use vidare_domain::model::Text;
use vidare_domain::orgnr::OrganisationNumber;
use vidare_domain::personnummer::PersonalIdentityNumber;
use vidare_store::repo::Page;
use vidare_store::testing::TestDb;
use vidare_store::Store;
use vidare_synth::load::generate_into;
use vidare_synth::rows::Table;
use vidare_synth::summary::Summary;
use vidare_synth::{generate_all, Model, Scale};

#[test]
fn the_same_seed_gives_the_same_content_and_another_seed_other_content() {
    let model = Model::default();
    let (a, ..) = generate_all(&model, Scale::Demo, 1, |_| {});
    let (b, ..) = generate_all(&model, Scale::Demo, 1, |_| {});
    let (c, ..) = generate_all(&model, Scale::Demo, 2, |_| {});
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert_eq!(a.len(), 64);
}

#[test]
fn the_truth_matches_the_simulated_potential_outcomes() {
    let model = Model::default();
    let (mut n, mut exact, mut realised, mut realised_sq) = (0u64, 0.0, 0.0, 0.0);
    let (_, truth, _) = generate_all(&model, Scale::Region, 7, |m| {
        for p in m.people.iter().filter(|p| p.treated) {
            n += 1;
            exact += p.p1 - p.p0;
            let d = f64::from(u8::from(p.y1)) - f64::from(u8::from(p.y0));
            realised += d;
            realised_sq += d * d;
        }
    });
    let nf = n as f64;
    let (exact, realised) = (exact / nf, realised / nf);
    let se = ((realised_sq / nf - realised * realised) / nf).sqrt();
    assert_eq!(truth.treated, n);
    assert!((truth.att - exact).abs() < 1e-12);
    assert!(n > 2_000, "{n} treated");
    // The drawn potential outcomes agree with the probabilities they were drawn from.
    assert!(
        (realised - truth.att).abs() < 4.0 * se,
        "realised {realised:.4} vs exact {:.4} (SE {se:.4})",
        truth.att
    );
    assert!(truth.att > 0.04 && truth.att < 0.15, "ATT {}", truth.att);
    // Subgroups partition the treated, so their weighted effects add up to the whole.
    for variable in [
        "gender",
        "born_abroad",
        "age",
        "education",
        "registration_year",
    ] {
        let groups: Vec<_> = truth
            .subgroups
            .iter()
            .filter(|g| g.variable == variable)
            .collect();
        let total: u64 = groups.iter().map(|g| g.treated).sum();
        let weighted: f64 =
            groups.iter().map(|g| g.att * g.treated as f64).sum::<f64>() / total as f64;
        assert_eq!(total, n, "{variable}");
        assert!((weighted - truth.att).abs() < 1e-9, "{variable}");
    }
    // The effect varies with the covariates as documented: larger for those born abroad.
    let of = |v: &str, value: &str| {
        truth
            .subgroups
            .iter()
            .find(|g| g.variable == v && g.value == value)
            .unwrap()
            .att
    };
    assert!(of("born_abroad", "true") > of("born_abroad", "false"));
    assert!(of("health_limitation", "true") < of("health_limitation", "false"));
    // A naive comparison is biased: selection into placement favours better prospects.
    assert!(truth.naive.treated_minus_pool_same_period > truth.att);
    assert_eq!(truth.parameters.len(), model.numeric_parameters().len());
}

#[test]
fn the_data_are_calibrated_to_the_published_figures() {
    let model = Model::default();
    let (_, _, region) = generate_all(&model, Scale::Region, 3, |_| {});
    for g in [&region.baseline_placed, &region.reform_placed] {
        let share = Summary::exit_share(g);
        assert!((0.35..=0.47).contains(&share), "exit share {share}");
    }
    let per_year = 12.0 * region.mean_reserved_price_kr();
    assert!(
        (32_000.0..=38_000.0).contains(&per_year),
        "{per_year} kr per place and year"
    );
    assert!(region
        .tendered_prices
        .iter()
        .all(|p| (250_000..=450_000).contains(p)));
    assert!(region.organisations_below_share_test > 0);
    assert!(region.bids_failing_share_test > 0);

    let (_, _, demo) = generate_all(&model, Scale::Demo, 1, |_| {});
    for (year, placed) in &demo.placed_per_year {
        assert!((400..=650).contains(placed), "{year}: {placed} placed");
    }
    assert!((20..=30).contains(&demo.organisations));
    assert!(demo.rows_of(Table::PlacementTypes) >= 12);
    assert!(demo.pool_baseline.people + demo.pool_reform.people > 500);
}

#[test]
fn every_value_is_valid_by_the_domain_rules() {
    generate_all(&Model::default(), Scale::Demo, 5, |m| {
        let t = &m.tables;
        let mut numbers = HashSet::new();
        for p in &t.participants {
            PersonalIdentityNumber::parse_canonical(&p.personal_number).unwrap();
            assert!(numbers.insert(p.personal_number.clone()));
            Text::parse(&p.last_name).unwrap();
            p.covariates.check().unwrap();
        }
        let mut orgs = HashSet::new();
        for o in &t.organisations {
            OrganisationNumber::parse(&o.org_number).unwrap();
            assert!(orgs.insert(o.org_number.clone()));
        }
        for (i, p) in t.placements.iter().enumerate() {
            assert_eq!(p.id as usize, i + 1);
            assert!(p.end.is_none_or(|e| e >= p.start));
        }
        for e in &t.exits {
            let p = &t.placements[e.placement_id as usize - 1];
            assert_eq!(p.end, Some(e.exit_date));
        }
        // Invoices add up to their lines.
        let mut totals = vec![0i64; t.invoices.len()];
        for l in &t.invoice_lines {
            totals[l.invoice_id as usize - 1] += l.amount_ore;
        }
        assert!(t
            .invoices
            .iter()
            .zip(&totals)
            .all(|(i, s)| i.total_ore == *s));
    });
}

#[test]
fn the_award_decision_ranks_every_tender_and_awards_the_agreements() {
    generate_all(&Model::default(), Scale::Demo, 7, |m| {
        let t = &m.tables;
        assert_eq!(t.award_decisions.len(), 1);
        let decision = t.award_decisions[0].id;
        // One result per tender and lot it was offered for.
        let offered: HashSet<(u32, u32)> =
            t.bid_lots.iter().map(|b| (b.bid_id, b.lot_id)).collect();
        let results: HashSet<(u32, u32)> = t
            .award_results
            .iter()
            .map(|r| (r.bid_id, r.lot_id))
            .collect();
        assert_eq!(
            results.len(),
            t.award_results.len(),
            "one result per tender and lot"
        );
        assert_eq!(results, offered);
        let qualified = |bid: u32| {
            let q = t.qualifications.iter().find(|q| q.bid_id == bid).unwrap();
            q.purpose_pass && q.share_pass
        };
        for r in &t.award_results {
            assert_eq!(r.decision_id, decision);
            if qualified(r.bid_id) {
                // Ranked and awarded: the same supplier, lot and rank as its agreement.
                assert!(r.awarded);
                assert_eq!(r.reason, "ranked");
                let total = r.total_centi.unwrap();
                assert!(total <= 10_000);
                let org = t.bids[r.bid_id as usize - 1].organisation_id;
                let agreement = t
                    .agreements
                    .iter()
                    .find(|a| a.lot_id == Some(r.lot_id) && a.organisation_id == org)
                    .expect("an awarded tender has its agreement");
                assert_eq!(agreement.rank, r.rank);
            } else {
                assert!(!r.awarded);
                assert_eq!(r.reason, "not_qualified");
                assert!(r.rank.is_none() && r.total_centi.is_none());
            }
        }
        // Within a lot, ranks are 1..n in order of the weighted total.
        for lot in &t.lots {
            let mut ranked: Vec<_> = t
                .award_results
                .iter()
                .filter(|r| r.lot_id == lot.id && r.awarded)
                .collect();
            ranked.sort_by_key(|r| r.rank);
            for (i, r) in ranked.iter().enumerate() {
                assert_eq!(r.rank, Some(i as u32 + 1));
            }
            assert!(ranked
                .windows(2)
                .all(|w| w[0].total_centi >= w[1].total_centi));
            let agreements = t
                .agreements
                .iter()
                .filter(|a| a.lot_id == Some(lot.id))
                .count();
            assert_eq!(ranked.len(), agreements);
        }
        assert!(t.award_results.iter().any(|r| r.awarded));
        assert!(t.award_results.iter().any(|r| !r.awarded));
    });
}

fn organisation(payload: [u8; 9]) -> vidare_domain::model::organisation::NewOrganisation {
    vidare_domain::model::organisation::NewOrganisation {
        org_number: OrganisationNumber::from_payload(payload).unwrap(),
        name: Text::parse("Befintliga föreningen").unwrap(),
        legal_form: vidare_domain::model::organisation::LegalForm::Foundation,
        idea_driven: true,
        in_idea_driven_register: false,
        headcount: None,
        annual_turnover: None,
        email: None,
        synthetic: false,
    }
}

async fn count(store: &Store, sql: &str) -> i64 {
    vidare_store::with_pool!(store, |pool| sqlx::query_scalar::<_, i64>(sql)
        .fetch_one(pool)
        .await
        .unwrap())
}

async fn lands_in(db: TestDb) {
    let model = Model::default();
    // Something already there: the generator's ids must go after it.
    let other = db
        .store
        .insert_tenant(&vidare_store::repo::tenants::NewTenant {
            slug: vidare_domain::model::Slug::parse("annan").unwrap(),
            name: Text::parse("Annan kommun").unwrap(),
            municipality_code: None,
            synthetic: false,
        })
        .await
        .unwrap();
    db.store
        .tenant(other)
        .insert_organisation(&organisation([7, 6, 9, 6, 0, 0, 1, 2, 3]))
        .await
        .unwrap();
    let (_, truth, summary) = generate_all(&model, Scale::Demo, 11, |_| {});
    let report = generate_into(&db.store, &model, Scale::Demo, 11)
        .await
        .unwrap();
    assert_eq!(report.truth.att, truth.att);
    assert_eq!(report.content_sha256, summary.content_sha256);
    let (_, tenant) = report.tenants[0];
    let s = db.store.tenant(tenant);
    assert_eq!(
        s.count_participants().await.unwrap(),
        summary.rows_of(Table::Participants)
    );
    for table in Table::ALL {
        let n = count(
            &db.store,
            &format!(
                "SELECT COUNT(*) FROM {} WHERE tenant_id = {}",
                table.name(),
                tenant.get()
            ),
        )
        .await;
        assert_eq!(n as u64, summary.rows_of(table), "{}", table.name());
    }
    // Stored rows read back through the domain types.
    let people = s.list_participants(Page::first(500)).await.unwrap();
    assert!(people.iter().all(|p| p.synthetic));
    assert_eq!(s.list_rounds().await.unwrap().len(), 2);
    // The overview page's one-query counts agree with the tables, and ignore the other
    // tenant's organisation.
    for day in [(2023, 6, 1), (2025, 1, 15), (2030, 1, 1)] {
        let day = chrono::NaiveDate::from_ymd_opt(day.0, day.1, day.2).unwrap();
        let o = s.overview(day).await.unwrap();
        assert_eq!(o.participants as u64, s.count_participants().await.unwrap());
        assert_eq!(
            o.organisations as u64,
            s.count_organisations().await.unwrap()
        );
        assert_eq!(
            o.agreements_in_force,
            s.agreements_in_force(day, None).await.unwrap().len() as i64
        );
        assert_eq!(o.rounds, 2);
        assert_eq!(
            o.placement_types,
            s.list_placement_types().await.unwrap().len() as i64
        );
    }
    assert!(
        s.overview(chrono::NaiveDate::from_ymd_opt(2025, 1, 15).unwrap())
            .await
            .unwrap()
            .agreements_in_force
            > 0
    );
    let invoiced = count(
        &db.store,
        "SELECT CAST(COALESCE(SUM(total_ore), 0) AS BIGINT) FROM invoices",
    )
    .await;
    let expected: i64 = summary.invoiced_ore_by_year.iter().map(|(_, o)| o).sum();
    assert_eq!(invoiced, expected);
    // A second scale goes beside it, and ordinary inserts continue after the loaded ids.
    let again = generate_into(&db.store, &model, Scale::Demo, 11).await;
    assert!(again.is_err(), "the demo tenant exists already");
    let before = count(&db.store, "SELECT MAX(id) FROM organisations").await;
    let org = s
        .insert_organisation(&organisation([8, 0, 2, 0, 0, 0, 0, 0, 1]))
        .await
        .unwrap();
    assert_eq!(org.get(), before + 1);
}

#[tokio::test]
async fn the_demo_lands_in_sqlite() {
    let db = TestDb::sqlite().await;
    lands_in(db).await;
}

#[tokio::test]
async fn the_demo_lands_in_postgres() {
    lands_in(TestDb::postgres().await).await;
}

#[test]
fn every_parameter_is_documented_with_its_value() {
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/synthetic-data.md"
    ))
    .unwrap();
    for p in Model::default().numeric_parameters() {
        let row = format!(
            "| `{}` | {} | {} | {} |",
            p.name,
            p.value.as_f64().unwrap(),
            p.unit,
            p.source
        );
        assert!(
            doc.contains(&row),
            "docs/synthetic-data.md lacks or differs on {row}"
        );
    }
}
