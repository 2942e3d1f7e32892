//! The demo municipality, *Storsjö kommun (demo)*: the `demo` scale of the synthetic
//! generator (`vidare-synth`) with a fixed seed — about 25 suppliers, a baseline period
//! arranged the old way (2021–2022), a reserved procurement with framework agreements
//! (2023–2024), the next round being prepared, and some 500 placed participants a year
//! with a comparison pool — plus one account per role.
//!
//! Every name, identity number and organisation number is fictitious and every record is
//! marked synthetic (see `docs/synthetic-data.md`).

use vidare_domain::model::tenant::Role;
use vidare_domain::model::{Email, Text};
use vidare_store::repo::tenants::NewUser;
use vidare_store::repo::Page;
use vidare_store::{Store, StoreError};
use vidare_synth::load::{generate_into, GenerateError};
use vidare_synth::{Model, Scale};

/// The demo tenant's short name.
pub const SLUG: &str = "demo";

/// The demo's seed: the same demo every time.
pub const SEED: u64 = 20_240_422;

/// The supplier the README's supplier account belongs to (the generator names its first
/// organisation so in every municipality).
const SUPPLIER_NAME: &str = "Kvarnbackens Arbetskooperativ ek. för.";

/// Creates the demo municipality unless it exists. Returns whether it was created.
pub async fn ensure(store: &Store) -> Result<bool, StoreError> {
    if store.tenant_by_slug(SLUG).await?.is_some() {
        return Ok(false);
    }
    let report = match generate_into(store, &Model::default(), Scale::Demo, SEED).await {
        Ok(r) => r,
        // Created by someone else since we looked.
        Err(GenerateError::TenantExists(_)) => return Ok(false),
        Err(GenerateError::Store(e)) => {
            tracing::error!(error = %e, "creating the demo failed; delete the demo database and run `vidare demo` again");
            return Err(e);
        }
    };
    let (_, tenant) = report.tenants[0];
    let s = store.tenant(tenant);
    let supplier = s
        .list_organisations(Page::first(1000))
        .await?
        .into_iter()
        .find(|o| o.name.as_str() == SUPPLIER_NAME)
        .map(|o| o.id)
        .ok_or(StoreError::NotFound {
            entity: "demo supplier organisation",
        })?;
    for (email, name, role) in [
        (
            "admin@storsjo.demo.invalid",
            "Ada Administratör",
            Role::TenantAdmin,
        ),
        (
            "upphandlare@storsjo.demo.invalid",
            "Ulla Upphandlare",
            Role::ProcurementOfficer,
        ),
        (
            "handlaggare@storsjo.demo.invalid",
            "Hassan Handläggare",
            Role::CaseWorker,
        ),
        (
            "forskare@storsjo.demo.invalid",
            "Fredrika Forskare",
            Role::Researcher,
        ),
        (
            "ledning@storsjo.demo.invalid",
            "Lennart Ledning",
            Role::Management,
        ),
        (
            "leverantor@kvarnbacken.demo.invalid",
            "Lisa Leverantör",
            Role::SupplierUser {
                organisation_id: supplier,
            },
        ),
    ] {
        s.insert_user(&NewUser {
            email: Email::parse(email).expect("valid demo e-mail"),
            display_name: Text::parse(name).expect("valid demo name"),
            role,
        })
        .await?;
    }
    // The municipality as the buyer on e-invoices, so the demo's invoices can be
    // exported at once. A fictitious number in the municipalities' 212000- series.
    s.save_invoicing_settings(&vidare_store::repo::invoices::InvoicingSettings {
        org_number: vidare_domain::orgnr::OrganisationNumber::from_payload([
            2, 1, 2, 0, 0, 0, 9, 9, 9,
        ])
        .expect("a valid demo organisation number"),
        buyer_reference: Text::parse("Arbetsmarknadsenheten (demo)").expect("valid reference"),
        street: Some(Text::parse("Storgatan 1").expect("valid street")),
        postcode: Some(Text::parse("830 00").expect("valid postcode")),
        city: Some(Text::parse("Storsjö").expect("valid city")),
        payment_days: 30,
    })
    .await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use vidare_domain::model::tenant::RoleKind;

    use super::*;

    #[tokio::test]
    async fn the_demo_is_created_once_and_is_synthetic() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("demo.sqlite").display());
        let store = Store::connect(&url).await.unwrap();
        store.migrate().await.unwrap();
        assert!(ensure(&store).await.unwrap());
        assert!(!ensure(&store).await.unwrap());
        let tenant = store.tenant_by_slug(SLUG).await.unwrap().unwrap();
        assert!(tenant.synthetic);
        let s = store.tenant(tenant.id);
        assert!(s.list_placement_types().await.unwrap().len() >= 12);
        let orgs = s.list_organisations(Page::first(1000)).await.unwrap();
        assert!(
            (20..=30).contains(&orgs.len()),
            "{} organisations",
            orgs.len()
        );
        assert!(orgs.iter().all(|o| o.synthetic));
        // At least one supplier fails the share test.
        assert!(orgs
            .iter()
            .any(|o| !o.headcount.unwrap().meets_share_test()));
        let participants = s.count_participants().await.unwrap();
        assert!(participants > 2_000, "{participants} participants");
        // Ready to export e-invoices: the municipality's buyer details are set.
        let buyer = s.invoicing_settings().await.unwrap().unwrap();
        assert!(buyer.org_number.canonical().starts_with("212000"));
        assert!(s
            .list_participants(Page::first(100))
            .await
            .unwrap()
            .iter()
            .all(|p| p.synthetic));
        let rounds = s.list_rounds().await.unwrap();
        assert_eq!(rounds.len(), 2);
        // The reserved round's award decision has its results: the awarded suppliers are
        // those with agreements, so the decision letters name them.
        let mut decided = 0;
        for r in &rounds {
            if let Some((_, results)) = s.award_of_round(r.id).await.unwrap() {
                decided += 1;
                let awarded = results.iter().filter(|a| a.awarded).count();
                assert!(awarded > 0);
                assert_eq!(awarded, s.agreements_of_round(r.id).await.unwrap().len());
            }
        }
        assert_eq!(decided, 1);
        // The demo publishes under the test prefix unless one is stored.
        assert_eq!(store.tenant_ocid_prefix(tenant.id).await.unwrap(), None);
        // One account per role, the supplier's at Kvarnbacken.
        let users = s.list_users().await.unwrap();
        assert_eq!(users.len(), 6);
        for kind in RoleKind::ALL {
            assert!(users.iter().any(|u| u.role.kind() == *kind), "{kind}");
        }
        let supplier = users
            .iter()
            .find(|u| u.email.as_str() == "leverantor@kvarnbacken.demo.invalid")
            .unwrap();
        let org = s
            .get_organisation(supplier.role.organisation_id().unwrap())
            .await
            .unwrap();
        assert_eq!(org.name.as_str(), SUPPLIER_NAME);
    }
}
