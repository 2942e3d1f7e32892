//! Typed identifiers. Each entity has its own id type so that a placement id can
//! never be passed where an organisation id is expected.

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl $name {
            /// The raw database key.
            pub fn get(self) -> i64 {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map($name)
            }
        }
    )*};
}

id_type!(
    /// A tenant: one municipality (or one organisation of a regional installation).
    TenantId,
    /// A user account within a tenant.
    UserId,
    /// A supplier organisation (usually a social enterprise).
    OrganisationId,
    /// A kind of placement (carpentry, café, …) offered as a lot.
    PlacementTypeId,
    /// A procurement round.
    RoundId,
    /// A lot of a procurement round.
    LotId,
    /// A supplier's tender in a round.
    BidId,
    /// An award criterion of a round.
    CriterionId,
    /// A round's award decision.
    AwardDecisionId,
    /// A framework agreement with one supplier for one placement type.
    AgreementId,
    /// A resident taking part in labour-market activities.
    ParticipantId,
    /// A referral of a participant to a supplier (the call-off).
    ReferralId,
    /// A placement: a participant at a supplier over a period.
    PlacementId,
    /// An exit from a placement.
    ExitId,
    /// A follow-up some months after an exit.
    FollowUpId,
    /// An invoice or credit note from a supplier.
    InvoiceId,
);
