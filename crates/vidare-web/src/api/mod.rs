//! The JSON API under `/api/v1`, for integrations and scripts.
//!
//! The same permissions as the pages: every route is a [`RouteDef`] with an access rule
//! built from the shared [`access`] constants, and supplier users see only their own
//! organisation's data (another organisation's id gives 404). A caller authenticates with
//! `Authorization: Bearer <token>` (an API token) or with the browser's session cookie,
//! which then needs the `X-CSRF-Token` header for every state change.
//!
//! The wire types live here, apart from the domain and storage models, so that the
//! published format changes only when this module does: JSON with snake_case keys,
//! RFC 3339 timestamps, `YYYY-MM-DD` dates, money as integer öre plus a formatted string.
//! A single item is `{"data": {...}}`; a list is `{"data": [...], "meta": {"total",
//! "limit", "offset"}}`; errors are RFC 9457 problem documents with field-level details.
//! The OpenAPI 3.1 description ([`openapi::document`]) is generated from the handlers and
//! served at `/api/openapi.json`, with a readable page at `/api/docs`.

mod agreements;
mod audit;
mod docs;
pub mod effects;
mod extract;
pub mod invoicing;
mod me;
pub mod open_data;
pub mod openapi;
mod organisations;
mod participants;
mod placement_types;
pub mod placements;
pub mod procurement;
mod retention;
mod rounds;

use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;
use utoipa::{IntoParams, ToSchema};
use vidare_domain::model::tenant::RoleKind;
use vidare_domain::money::Money;
use vidare_domain::Lang;
use vidare_store::repo::Page as StorePage;

pub use extract::{ApiJson, ApiPath, ApiQuery, Caller};

use crate::error::{ApiError, FieldProblem};
use crate::i18n::t;
use crate::routes::{access, Access, RouteDef};

/// Every API route, with the OpenAPI document and its readable page.
pub fn routes() -> Vec<RouteDef> {
    let mut all = vec![
        RouteDef::get(openapi::PATH, Access::Public, openapi::serve),
        RouteDef::get("/api/docs", Access::Public, docs::page),
    ];
    all.extend(v1_routes());
    all
}

/// The routes of version 1, each described in the OpenAPI document.
pub fn v1_routes() -> Vec<RouteDef> {
    vec![
        RouteDef::get("/api/v1/me", access::SIGNED_IN, me::me),
        RouteDef::get(
            "/api/v1/organisations",
            access::SUPPLIER_REGISTER,
            organisations::list,
        ),
        RouteDef::post(
            "/api/v1/organisations",
            access::PROCUREMENT,
            organisations::create,
        ),
        RouteDef::get(
            "/api/v1/organisations/{id}",
            REGISTER_OR_OWN,
            organisations::show,
        ),
        RouteDef::get(
            "/api/v1/participants",
            access::CASE_WORK,
            participants::list,
        ),
        RouteDef::post(
            "/api/v1/participants",
            access::CASE_WORK,
            participants::create,
        ),
        RouteDef::get(
            "/api/v1/participants/{id}",
            access::CASE_WORK,
            participants::show,
        ),
        RouteDef::get(
            "/api/v1/placement-types",
            access::SIGNED_IN,
            placement_types::list,
        ),
        RouteDef::get("/api/v1/rounds", access::PROCUREMENT, rounds::list),
        RouteDef::get("/api/v1/rounds/{id}", access::PROCUREMENT, rounds::show),
        RouteDef::get("/api/v1/agreements", CONTRACTS_OR_OWN, agreements::list),
        RouteDef::get("/api/v1/audit", access::ADMIN, audit::list),
        RouteDef::get("/api/v1/retention", access::ADMIN, retention::show),
        RouteDef::post("/api/v1/retention", access::ADMIN, retention::set),
    ]
    .into_iter()
    .chain(procurement::routes())
    .chain(placements::routes())
    .chain(effects::routes())
    .chain(invoicing::routes())
    .chain(open_data::routes())
    .collect()
}

/// The supplier register's roles ([`access::SUPPLIER_REGISTER`]) plus supplier users
/// ([`access::SUPPLIER`]), who are limited to their own organisation in the handler.
pub const REGISTER_OR_OWN: Access = Access::Roles(&[
    RoleKind::TenantAdmin,
    RoleKind::ProcurementOfficer,
    RoleKind::CaseWorker,
    RoleKind::Management,
    RoleKind::SupplierUser,
]);

/// Procurement and contracts ([`access::PROCUREMENT`]) plus supplier users
/// ([`access::SUPPLIER`]), who see only their own agreements.
pub const CONTRACTS_OR_OWN: Access = Access::Roles(&[
    RoleKind::TenantAdmin,
    RoleKind::ProcurementOfficer,
    RoleKind::SupplierUser,
]);

/// Rows per page unless `limit` says otherwise.
pub const DEFAULT_LIMIT: u32 = 50;
/// The most rows one page may have.
pub const MAX_LIMIT: u32 = 500;

/// Paging of a list.
#[derive(Debug, Clone, Copy, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct Paging {
    /// Rows per page, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// Rows to skip (default 0).
    pub offset: Option<u32>,
}

impl Paging {
    /// The page to read, or 400 naming `limit` when it is out of range.
    pub fn resolve(self, lang: Lang) -> Result<StorePage, ApiError> {
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(extract::bad_field(
                lang,
                "limit",
                format!("{} 1–{MAX_LIMIT}.", t(lang, "api.limit_range")),
            ));
        }
        Ok(StorePage {
            limit,
            offset: self.offset.unwrap_or(0),
        })
    }

    /// Applies the page to a list read whole (the short lists of reference data).
    pub fn slice<T>(page: StorePage, all: Vec<T>) -> (Vec<T>, ListMeta) {
        let total = all.len() as u64;
        let rows = all
            .into_iter()
            .skip(page.offset as usize)
            .take(page.limit as usize)
            .collect();
        (rows, ListMeta::new(total, page))
    }
}

/// Where a page of a list lies in the whole.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ListMeta {
    /// Rows in the whole list.
    pub total: u64,
    /// Rows per page asked for.
    pub limit: u32,
    /// Rows skipped.
    pub offset: u32,
}

impl ListMeta {
    /// The meta of `page` in a list of `total` rows.
    pub fn new(total: u64, page: StorePage) -> ListMeta {
        ListMeta {
            total,
            limit: page.limit,
            offset: page.offset,
        }
    }
}

/// Declares an envelope of a wire type: `item T => Name` is `{"data": T}` and
/// `list T => Name` is `{"data": [T], "meta": ListMeta}`. Concrete types (not generics)
/// give the schemas readable names in the OpenAPI document.
macro_rules! envelopes {
    (item $ty:ty => $item:ident) => {
        #[doc = concat!("One ", stringify!($ty), ".")]
        #[derive(Debug, serde::Serialize, utoipa::ToSchema)]
        pub struct $item {
            pub data: $ty,
        }
    };
    (list $ty:ty => $list:ident) => {
        #[doc = concat!("A page of ", stringify!($ty), " rows.")]
        #[derive(Debug, serde::Serialize, utoipa::ToSchema)]
        pub struct $list {
            pub data: Vec<$ty>,
            pub meta: $crate::api::ListMeta,
        }
    };
}
pub(crate) use envelopes;

/// An amount of money: exact in öre, and formatted the Swedish way for display.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"ore": 1234550, "formatted": "12\u{a0}345,50\u{a0}kr"}))]
pub struct Amount {
    /// The amount in öre (1 kr = 100 öre).
    pub ore: i64,
    /// `12 345,50 kr`, with non-breaking spaces.
    pub formatted: String,
}

impl From<Money> for Amount {
    fn from(m: Money) -> Amount {
        Amount {
            ore: m.ore(),
            formatted: m.format_sv(),
        }
    }
}

/// One field's problem in a problem document.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = FieldError)]
pub struct FieldErrorDoc {
    /// The field, query or path parameter to correct (`org_number`, `limit`, `id`).
    pub field: String,
    /// What is wrong and how to correct it, in the request's language.
    pub message: String,
}

/// An RFC 9457 problem document (`application/problem+json`): every error of the API.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Problem)]
pub struct ProblemDoc {
    /// A URI naming the kind of problem (`…/problems/invalid`, `…/problems/conflict`).
    #[serde(rename = "type")]
    pub kind: String,
    /// A short explanation in the request's language (Swedish unless `Accept-Language` or
    /// the user's setting says English).
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// More detail, when there is any.
    pub detail: Option<String>,
    /// One entry per field to correct; absent when no field is at fault.
    pub errors: Option<Vec<FieldErrorDoc>>,
}

/// Collects every field's problem of a request body before answering, so one 422 lists
/// them all.
#[derive(Debug)]
pub struct Problems {
    lang: Lang,
    errors: Vec<FieldProblem>,
}

impl Problems {
    /// An empty collection for a request in `lang`.
    pub fn new(lang: Lang) -> Problems {
        Problems {
            lang,
            errors: Vec::new(),
        }
    }

    /// Records a problem with `field`.
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(FieldProblem {
            field: field.to_string(),
            message: message.into(),
        });
    }

    /// The value of a required field, or a "required" problem and `None`.
    pub fn required<T>(&mut self, field: &str, value: Option<T>) -> Option<T> {
        if value.is_none() {
            self.add(field, t(self.lang, "api.field_required"));
        }
        value
    }

    /// The parsed value of a field, or its problem (in the request's language) and
    /// `None`.
    pub fn parse<T, E: vidare_domain::Localized>(
        &mut self,
        field: &str,
        result: Result<T, E>,
    ) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.add(field, e.message(self.lang));
                None
            }
        }
    }

    /// A whole number within `min..=max`, or a problem naming the field.
    pub fn range(&mut self, field: &str, value: i64, min: i64, max: i64) -> Option<i64> {
        if (min..=max).contains(&value) {
            Some(value)
        } else {
            self.add(
                field,
                format!("{} {min}–{max}.", t(self.lang, "api.number_range")),
            );
            None
        }
    }

    /// Whether any problem was found.
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// `Ok` when nothing was found, else the 422 listing every problem.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::invalid(self.lang, self.errors))
        }
    }
}

/// Declares a schema for one of the domain's code enumerations (`legal_form`,
/// `role`, …): a string whose allowed values come from the enumeration itself, so the
/// document cannot fall behind the domain.
macro_rules! code_schema {
    ($name:ident, $domain:ty, $doc:literal) => {
        #[doc = $doc]
        pub struct $name;

        impl utoipa::PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .description(Some($doc))
                    .enum_values(Some(<$domain>::ALL.iter().map(|c| c.as_str())))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

code_schema!(RoleCode, RoleKind, "A user's or token's role.");
code_schema!(
    LegalFormCode,
    vidare_domain::model::organisation::LegalForm,
    "An organisation's legal form."
);
code_schema!(
    GenderCode,
    vidare_domain::model::participant::Gender,
    "Gender as recorded by the case worker."
);
code_schema!(
    EducationCode,
    vidare_domain::model::participant::EducationLevel,
    "Highest completed education (SCB's three levels)."
);
code_schema!(
    SwedishLevelCode,
    vidare_domain::model::participant::SwedishLevel,
    "Command of Swedish, as assessed at registration."
);
code_schema!(
    RoundStatusCode,
    vidare_domain::model::procurement::RoundStatus,
    "Where a procurement round is in its life."
);
code_schema!(
    LegalBasisCode,
    vidare_domain::model::procurement::LegalBasis,
    "The legal basis of a procurement round."
);
code_schema!(
    ContractKindCode,
    vidare_domain::model::procurement::ContractKind,
    "The kind of contract a round procures."
);
code_schema!(
    AbsenceRuleCode,
    vidare_domain::model::procurement::AbsenceRule,
    "How absence is paid for under an agreement."
);

#[cfg(test)]
mod tests {
    use super::*;

    fn roles(a: Access) -> Vec<RoleKind> {
        let mut r = match a {
            Access::Roles(r) => r.to_vec(),
            other => panic!("{other:?} is not a role list"),
        };
        r.sort();
        r.dedup();
        r
    }

    fn union(a: Access, b: Access) -> Vec<RoleKind> {
        let mut r = roles(a);
        r.extend(roles(b));
        r.sort();
        r.dedup();
        r
    }

    /// The API's combined rules are exactly the pages' rules put together.
    #[test]
    fn combined_rules_agree_with_the_shared_ones() {
        assert_eq!(
            roles(REGISTER_OR_OWN),
            union(access::SUPPLIER_REGISTER, access::SUPPLIER)
        );
        assert_eq!(
            roles(CONTRACTS_OR_OWN),
            union(access::PROCUREMENT, access::SUPPLIER)
        );
    }

    /// The documented problem document has every key the real one serialises.
    #[test]
    fn problem_schema_matches_api_error() {
        let e = ApiError::invalid(
            Lang::Sv,
            vec![FieldProblem {
                field: "name".into(),
                message: "x".into(),
            }],
        );
        let mut e = serde_json::to_value(e).unwrap();
        e["detail"] = "d".into();
        let schema = serde_json::to_value(<ProblemDoc as utoipa::PartialSchema>::schema()).unwrap();
        for key in e.as_object().unwrap().keys() {
            assert!(
                schema["properties"].get(key).is_some(),
                "{key} is not documented"
            );
        }
        let field = serde_json::to_value(&e["errors"][0]).unwrap();
        let schema =
            serde_json::to_value(<FieldErrorDoc as utoipa::PartialSchema>::schema()).unwrap();
        for key in field.as_object().unwrap().keys() {
            assert!(schema["properties"].get(key).is_some(), "{key}");
        }
    }

    #[test]
    fn paging_limits() {
        let p = Paging::default().resolve(Lang::Sv).unwrap();
        assert_eq!((p.limit, p.offset), (DEFAULT_LIMIT, 0));
        let e = Paging {
            limit: Some(0),
            offset: None,
        }
        .resolve(Lang::En)
        .unwrap_err();
        assert_eq!(e.status, 400);
        assert_eq!(e.errors[0].field, "limit");
        let (rows, meta) = Paging::slice(
            StorePage {
                limit: 2,
                offset: 1,
            },
            vec![1, 2, 3, 4],
        );
        assert_eq!(rows, vec![2, 3]);
        assert_eq!(meta.total, 4);
    }
}
