//! Supplier organisations: the register for the municipality's staff, and a supplier
//! user's own organisation (another organisation's id gives 404, as if it did not exist).

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use vidare_domain::ids::OrganisationId;
use vidare_domain::model::organisation::{Headcount, LegalForm, NewOrganisation, Organisation};
use vidare_domain::model::{Email, Text};
use vidare_domain::money::Money;
use vidare_domain::orgnr::OrganisationNumber;

use super::{
    envelopes, Amount, ApiJson, ApiPath, ApiQuery, Caller, LegalFormCode, ListMeta, Paging,
    ProblemDoc, Problems,
};
use crate::error::ApiError;
use crate::i18n::t;
use crate::AppState;

/// The people occupied in the business and how many belong to the target groups of
/// reserved procurement.
#[derive(Debug, Serialize, ToSchema)]
pub struct HeadcountOut {
    pub total: u32,
    pub from_target_groups: u32,
    /// The share from the target groups in per mille, rounded down.
    pub share_permille: u32,
    /// Whether the share test (at least 30 %) is met.
    pub meets_share_test: bool,
}

/// A supplier organisation.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrganisationOut {
    pub id: i64,
    /// `NNNNNN-NNNN`.
    #[schema(example = "769600-1234")]
    pub org_number: String,
    pub name: String,
    #[schema(value_type = LegalFormCode)]
    pub legal_form: &'static str,
    /// Run for a public-benefit purpose, profits reinvested (idéburen).
    pub idea_driven: bool,
    /// Registered in the register of idea-driven organisations.
    pub in_idea_driven_register: bool,
    /// The declared headcount, when declared.
    pub headcount: Option<HeadcountOut>,
    /// Declared annual turnover, when declared.
    pub annual_turnover: Option<Amount>,
    pub email: Option<String>,
    /// Synthetic demo data.
    pub synthetic: bool,
}

impl From<Organisation> for OrganisationOut {
    fn from(o: Organisation) -> Self {
        OrganisationOut {
            id: o.id.get(),
            org_number: o.org_number.to_string(),
            name: o.name.to_string(),
            legal_form: o.legal_form.as_str(),
            idea_driven: o.idea_driven,
            in_idea_driven_register: o.in_idea_driven_register,
            headcount: o.headcount.map(|h| HeadcountOut {
                total: h.total(),
                from_target_groups: h.from_target_groups(),
                share_permille: h.share_permille(),
                meets_share_test: h.meets_share_test(),
            }),
            annual_turnover: o.annual_turnover.map(Amount::from),
            email: o.email.map(|e| e.to_string()),
            synthetic: o.synthetic,
        }
    }
}

envelopes!(item OrganisationOut => OrganisationItem);
envelopes!(list OrganisationOut => OrganisationList);

/// An organisation to register. Every field is checked and every problem reported
/// together.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrganisationIn {
    /// 10 digits (`NNNNNN-NNNN`, hyphen optional) or 12 starting with `16`.
    #[schema(value_type = String, required = true, example = "769600-1234")]
    pub org_number: Option<String>,
    #[schema(value_type = String, required = true)]
    pub name: Option<String>,
    #[schema(value_type = LegalFormCode, required = true)]
    pub legal_form: Option<String>,
    /// Default `false`.
    #[schema(value_type = bool, required = false)]
    pub idea_driven: Option<bool>,
    /// Default `false`.
    #[schema(value_type = bool, required = false)]
    pub in_idea_driven_register: Option<bool>,
    /// Everyone occupied; give together with `headcount_target_groups`, or neither.
    #[schema(value_type = i64, required = false, minimum = 1)]
    pub headcount_total: Option<i64>,
    /// Those from the target groups, at most `headcount_total`.
    #[schema(value_type = i64, required = false, minimum = 0)]
    pub headcount_target_groups: Option<i64>,
    /// Declared annual turnover in öre.
    #[schema(value_type = i64, required = false, minimum = 0)]
    pub annual_turnover_ore: Option<i64>,
    #[schema(value_type = String, required = false, format = Email)]
    pub email: Option<String>,
}

/// Checks every field through the domain's constructors.
fn validate(caller: &Caller, body: NewOrganisationIn) -> Result<NewOrganisation, ApiError> {
    let lang = caller.lang;
    let mut p = Problems::new(lang);
    let org_number = p
        .required("org_number", body.org_number)
        .and_then(|s| p.parse("org_number", OrganisationNumber::parse(&s)));
    let name = p
        .required("name", body.name)
        .and_then(|s| p.parse("name", Text::parse(&s)));
    let legal_form = p
        .required("legal_form", body.legal_form)
        .and_then(|s| p.parse("legal_form", LegalForm::parse(&s)));
    let total = body
        .headcount_total
        .and_then(|v| p.range("headcount_total", v, 0, i64::from(u32::MAX)));
    let groups = body
        .headcount_target_groups
        .and_then(|v| p.range("headcount_target_groups", v, 0, i64::from(u32::MAX)));
    let headcount = match (body.headcount_total, body.headcount_target_groups) {
        (None, None) => None,
        (Some(_), None) => {
            p.add("headcount_target_groups", t(lang, "api.headcount_both"));
            None
        }
        (None, Some(_)) => {
            p.add("headcount_total", t(lang, "api.headcount_both"));
            None
        }
        (Some(_), Some(_)) => match (total, groups) {
            // Both are within u32 here: `range` checked them.
            (Some(total), Some(groups)) => match Headcount::new(total as u32, groups as u32) {
                Ok(h) => Some(h),
                Err(v) => {
                    p.add(v.field, vidare_domain::Localized::message(&v, lang));
                    None
                }
            },
            _ => None,
        },
    };
    let annual_turnover = body
        .annual_turnover_ore
        .and_then(|v| p.range("annual_turnover_ore", v, 0, i64::MAX))
        .map(Money::from_ore);
    let email = body.email.and_then(|s| p.parse("email", Email::parse(&s)));
    p.finish()?;
    // `finish` has reported any missing or invalid required field.
    let (Some(org_number), Some(name), Some(legal_form)) = (org_number, name, legal_form) else {
        return Err(ApiError::invalid(lang, Vec::new()));
    };
    Ok(NewOrganisation {
        org_number,
        name,
        legal_form,
        idea_driven: body.idea_driven.unwrap_or(false),
        in_idea_driven_register: body.in_idea_driven_register.unwrap_or(false),
        headcount,
        annual_turnover,
        email,
        synthetic: false,
    })
}

/// List the supplier register
///
/// The tenant's organisations, by name.
#[utoipa::path(
    get,
    path = "/api/v1/organisations",
    tag = "organisations",
    operation_id = "list_organisations",
    params(Paging),
    responses(
        (status = 200, description = "A page of organisations.", body = OrganisationList),
        (status = 400, description = "A query parameter is invalid.", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub(super) async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(paging): ApiQuery<Paging>,
) -> Result<Json<OrganisationList>, ApiError> {
    let page = paging.resolve(caller.lang)?;
    let s = caller.scoped(state.store());
    let total = s
        .count_organisations()
        .await
        .map_err(|e| caller.store_error(e))?;
    let rows = s
        .list_organisations(page)
        .await
        .map_err(|e| caller.store_error(e))?;
    Ok(Json(OrganisationList {
        data: rows.into_iter().map(OrganisationOut::from).collect(),
        meta: ListMeta::new(total, page),
    }))
}

/// Read one organisation
///
/// A supplier user may read only its own organisation; any other id answers 404.
#[utoipa::path(
    get,
    path = "/api/v1/organisations/{id}",
    tag = "organisations",
    operation_id = "get_organisation",
    params(("id" = i64, Path, description = "The organisation's id.")),
    responses(
        (status = 200, description = "The organisation.", body = OrganisationItem),
        (status = 400, description = "The id is not a number.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "No such organisation in the tenant (or not the supplier's own).", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub(super) async fn show(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<OrganisationItem>, ApiError> {
    let id = OrganisationId(id);
    if let Some(own) = caller.who().role.organisation_id() {
        if own != id {
            return Err(caller.not_found());
        }
    }
    let o = caller
        .scoped(state.store())
        .get_organisation(id)
        .await
        .map_err(|e| caller.store_error(e))?;
    Ok(Json(OrganisationItem { data: o.into() }))
}

/// Register an organisation
///
/// Every field is checked through the domain's rules; all problems are reported
/// together in one 422. The same organisation number twice in a tenant is a 409 on
/// `org_number`.
#[utoipa::path(
    post,
    path = "/api/v1/organisations",
    tag = "organisations",
    operation_id = "create_organisation",
    request_body = NewOrganisationIn,
    responses(
        (status = 201, description = "Registered; `Location` names the new organisation.", body = OrganisationItem,
            headers(("Location" = String, description = "The new organisation's URL."))),
        (status = 400, description = "The body is not JSON of the expected shape.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, description = "The organisation number is already registered.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "One or more fields are invalid; `errors` lists each.", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub(super) async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<NewOrganisationIn>,
) -> Result<Response, ApiError> {
    let new = validate(&caller, body)?;
    let s = caller.scoped(state.store());
    let id = s
        .insert_organisation(&new)
        .await
        .map_err(|e| caller.store_error(e))?;
    let o = s
        .get_organisation(id)
        .await
        .map_err(|e| caller.store_error(e))?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/organisations/{id}"))],
        Json(OrganisationItem { data: o.into() }),
    )
        .into_response())
}
