//! Tenants (municipalities), users and their roles.

use serde::{Deserialize, Serialize};

use super::{Email, RuleViolation, Slug, Text};
use crate::ids::{OrganisationId, TenantId, UserId};

/// A municipality — or, in a regional installation, one of several municipalities —
/// whose data is isolated from every other tenant's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tenant {
    pub id: TenantId,
    /// Short name used in URLs and on the command line (`ostersund`).
    pub slug: Slug,
    /// Display name (`Östersunds kommun`).
    pub name: Text,
    /// The four-digit municipality code (kommunkod) from SCB, when the tenant is a municipality.
    pub municipality_code: Option<MunicipalityCode>,
    /// Whether every record of this tenant is synthetic demo or benchmark data.
    pub synthetic: bool,
}

/// A Swedish municipality code (kommunkod): four digits, the first two the county (län).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MunicipalityCode([u8; 4]);

impl MunicipalityCode {
    /// Parses four digits whose county part is 01–25 (the current counties).
    pub fn parse(input: &str) -> Result<Self, RuleViolation> {
        let s = input.trim();
        let bytes = s.as_bytes();
        let county = s.get(0..2).and_then(|c| c.parse::<u8>().ok());
        if bytes.len() != 4
            || !bytes.iter().all(u8::is_ascii_digit)
            || !matches!(county, Some(1..=25))
        {
            return Err(RuleViolation::new(
                "municipality_code",
                "Kommunkoden ska vara fyra siffror, till exempel 2380.",
                "The municipality code must be four digits, for example 2380.",
            ));
        }
        Ok(MunicipalityCode([bytes[0], bytes[1], bytes[2], bytes[3]]))
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("ASCII digits")
    }
}

impl TryFrom<String> for MunicipalityCode {
    type Error = RuleViolation;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        MunicipalityCode::parse(&s)
    }
}

impl From<MunicipalityCode> for String {
    fn from(c: MunicipalityCode) -> String {
        c.as_str().to_string()
    }
}

crate::code_enum! {
    /// What a user may do. Permissions per role are checked on the server for every page
    /// and endpoint; the public (not signed in) has no role.
    pub enum RoleKind {
        /// Manages the tenant's accounts, settings and logs.
        TenantAdmin = "tenant_admin",
        /// Runs procurement rounds and follows the contracts (upphandlare/samordnare).
        ProcurementOfficer = "procurement_officer",
        /// Registers and refers participants and follows their placements (handläggare).
        CaseWorker = "case_worker",
        /// Staff of one supplier organisation: sees only that organisation's data.
        SupplierUser = "supplier_user",
        /// Reads pseudonymised data for evaluation.
        Researcher = "researcher",
        /// Sees aggregates only.
        Management = "management",
    }
}

impl RoleKind {
    /// The role's name in Swedish, for the user interface.
    pub fn name_sv(self) -> &'static str {
        match self {
            RoleKind::TenantAdmin => "Administratör",
            RoleKind::ProcurementOfficer => "Upphandlare/samordnare",
            RoleKind::CaseWorker => "Handläggare",
            RoleKind::SupplierUser => "Leverantör",
            RoleKind::Researcher => "Forskare",
            RoleKind::Management => "Ledning",
        }
    }

    /// The role's name in English.
    pub fn name_en(self) -> &'static str {
        match self {
            RoleKind::TenantAdmin => "Administrator",
            RoleKind::ProcurementOfficer => "Procurement officer/coordinator",
            RoleKind::CaseWorker => "Case worker",
            RoleKind::SupplierUser => "Supplier",
            RoleKind::Researcher => "Researcher",
            RoleKind::Management => "Management",
        }
    }
}

/// A user's role. A supplier user always belongs to exactly one organisation, and no
/// other role belongs to one, so the organisation is carried by the variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "snake_case")]
pub enum Role {
    TenantAdmin,
    ProcurementOfficer,
    CaseWorker,
    SupplierUser { organisation_id: OrganisationId },
    Researcher,
    Management,
}

impl Role {
    /// Builds a role from its stored parts; a supplier user needs an organisation and
    /// no other role may have one.
    pub fn from_parts(
        kind: RoleKind,
        organisation_id: Option<OrganisationId>,
    ) -> Result<Role, RuleViolation> {
        match (kind, organisation_id) {
            (RoleKind::SupplierUser, Some(organisation_id)) => {
                Ok(Role::SupplierUser { organisation_id })
            }
            (RoleKind::SupplierUser, None) => Err(RuleViolation::new(
                "organisation_id",
                "En leverantörsanvändare måste höra till en organisation. Välj organisation.",
                "A supplier user must belong to an organisation. Choose one.",
            )),
            (_, Some(_)) => Err(RuleViolation::new(
                "organisation_id",
                "Bara leverantörsanvändare kan höra till en organisation. Ta bort organisationen eller byt roll.",
                "Only supplier users belong to an organisation. Remove it or change the role.",
            )),
            (RoleKind::TenantAdmin, None) => Ok(Role::TenantAdmin),
            (RoleKind::ProcurementOfficer, None) => Ok(Role::ProcurementOfficer),
            (RoleKind::CaseWorker, None) => Ok(Role::CaseWorker),
            (RoleKind::Researcher, None) => Ok(Role::Researcher),
            (RoleKind::Management, None) => Ok(Role::Management),
        }
    }

    /// The role without its organisation.
    pub fn kind(&self) -> RoleKind {
        match self {
            Role::TenantAdmin => RoleKind::TenantAdmin,
            Role::ProcurementOfficer => RoleKind::ProcurementOfficer,
            Role::CaseWorker => RoleKind::CaseWorker,
            Role::SupplierUser { .. } => RoleKind::SupplierUser,
            Role::Researcher => RoleKind::Researcher,
            Role::Management => RoleKind::Management,
        }
    }

    /// The supplier organisation, for a supplier user.
    pub fn organisation_id(&self) -> Option<OrganisationId> {
        match self {
            Role::SupplierUser { organisation_id } => Some(*organisation_id),
            _ => None,
        }
    }
}

/// A user account of one tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub tenant_id: TenantId,
    pub email: Email,
    pub display_name: Text,
    pub role: Role,
    /// A disabled account cannot sign in; it is kept for the audit trail.
    pub active: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn supplier_users_need_an_organisation_and_others_none() {
        let org = OrganisationId(7);
        assert_eq!(
            Role::from_parts(RoleKind::SupplierUser, Some(org)).unwrap(),
            Role::SupplierUser {
                organisation_id: org
            }
        );
        assert_eq!(
            Role::from_parts(RoleKind::SupplierUser, None)
                .unwrap_err()
                .field,
            "organisation_id"
        );
        assert!(Role::from_parts(RoleKind::CaseWorker, Some(org)).is_err());
        for kind in RoleKind::ALL {
            if *kind != RoleKind::SupplierUser {
                assert_eq!(Role::from_parts(*kind, None).unwrap().kind(), *kind);
            }
        }
    }

    #[test]
    fn role_codes_round_trip() {
        for kind in RoleKind::ALL {
            assert_eq!(RoleKind::parse(kind.as_str()).unwrap(), *kind);
        }
        assert!(RoleKind::parse("root").is_err());
    }

    #[test]
    fn municipality_codes() {
        assert_eq!(MunicipalityCode::parse("2380").unwrap().as_str(), "2380");
        for bad in ["238", "23800", "abcd", "9999", "0000"] {
            assert!(MunicipalityCode::parse(bad).is_err(), "{bad}");
        }
    }
}
