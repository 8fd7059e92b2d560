//! Who may do what to an agency's datasets: the [`Curator`] acting (the part of an account the catalog judges), the
//! typed workflow [`Transition`]s and the [`Expected`] revision a writer based its change on.
//!
//! These rules are the catalog's, written once: every dataset use case of [`crate::Catalog`] checks them itself, so the
//! JSON API, the curation pages and the CKAN API cannot disagree.
use crate::error::CatalogError;
use crate::model::{DatasetContent, WorkflowStatus};
use crate::store::Actor;

/// The role of a curator as far as datasets are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CuratorRole {
    /// Acts on every agency's datasets (also the role of the server's own loaders).
    Admin,
    /// Describes, uploads, submits and releases their agency's datasets.
    Publisher,
    /// Also publishes, returns and withdraws their agency's datasets.
    Approver,
    /// The harvester of another catalog (issue 20): creates, edits, publishes and withdraws harvested datasets (those
    /// with a provenance) of every agency, and nothing else.
    Harvester,
    /// Any other role: reads what is public.
    Other,
}

/// Someone acting on datasets: a name recorded in revisions and the change log, a role and, for publishers and
/// approvers, their agency.
#[derive(Debug, Clone, Copy)]
pub struct Curator<'a> {
    /// Name recorded in revisions and the change log.
    pub name: &'a str,
    /// Role.
    pub role: CuratorRole,
    /// The agency of a publisher or approver.
    pub agency: Option<&'a str>,
}

impl<'a> Curator<'a> {
    /// The server itself (seed loader, generator), allowed everything.
    pub fn system(name: &'a str) -> Self {
        Self {
            name,
            role: CuratorRole::Admin,
            agency: None,
        }
    }

    fn own(&self, agency: &str) -> bool {
        self.agency == Some(agency)
    }

    /// May see and edit drafts of `agency`'s datasets, upload their files, submit and release them?
    pub fn may_edit(&self, agency: &str) -> bool {
        match self.role {
            CuratorRole::Admin | CuratorRole::Harvester => true,
            CuratorRole::Publisher | CuratorRole::Approver => self.own(agency),
            CuratorRole::Other => false,
        }
    }

    /// May create datasets for `agency`? Publishers do; approvers only review.
    pub fn may_create(&self, agency: &str) -> bool {
        match self.role {
            CuratorRole::Admin | CuratorRole::Harvester => true,
            CuratorRole::Publisher => self.own(agency),
            _ => false,
        }
    }

    /// May publish, return and withdraw `agency`'s datasets?
    pub fn may_approve(&self, agency: &str) -> bool {
        match self.role {
            CuratorRole::Admin | CuratorRole::Harvester => true,
            CuratorRole::Approver => self.own(agency),
            _ => false,
        }
    }

    /// May make `transition` on `agency`'s datasets?
    pub fn may(&self, transition: Transition, agency: &str) -> bool {
        match transition {
            Transition::Submit => self.may_edit(agency),
            Transition::Publish | Transition::Return | Transition::Withdraw => {
                self.may_approve(agency)
            }
        }
    }

    /// Whose unpublished datasets this curator works on: `None` for an admin (every agency), their own agency for a
    /// publisher or approver; refused for anyone else.
    pub fn workspace(&self) -> Result<Option<&'a str>, CatalogError> {
        match (self.role, self.agency) {
            (CuratorRole::Admin, _) => Ok(None),
            (CuratorRole::Publisher | CuratorRole::Approver, Some(agency)) => Ok(Some(agency)),
            _ => Err(CatalogError::Forbidden(format!(
                "{} has no agency's datasets to work on",
                self.name
            ))),
        }
    }

    /// Whose submitted datasets this curator reviews: `None` for an admin (every agency), their own agency for an
    /// approver; refused for anyone else.
    pub fn review_scope(&self) -> Result<Option<&'a str>, CatalogError> {
        match (self.role, self.agency) {
            (CuratorRole::Admin, _) => Ok(None),
            (CuratorRole::Approver, Some(agency)) => Ok(Some(agency)),
            _ => Err(CatalogError::Forbidden(format!(
                "{} does not approve an agency's datasets",
                self.name
            ))),
        }
    }

    /// Acts for every agency (and so picks the publisher of what they create)?
    pub fn acts_for_every_agency(&self) -> bool {
        self.role == CuratorRole::Admin
    }

    /// Creates datasets at all (for some agency)?
    pub fn creates_datasets(&self) -> bool {
        match self.role {
            CuratorRole::Admin => true,
            CuratorRole::Publisher => self.agency.is_some(),
            _ => false,
        }
    }

    /// The publisher of a dataset this curator creates: the one asked for by an admin, a publisher's own agency
    /// whatever was asked; refused for anyone else.
    pub fn publisher_of_new(&self, requested: Option<&str>) -> Result<String, CatalogError> {
        match (self.role, self.agency) {
            (CuratorRole::Admin, _) => Ok(requested.unwrap_or_default().to_owned()),
            (CuratorRole::Publisher, Some(agency)) => Ok(agency.to_owned()),
            _ => Err(CatalogError::Forbidden(format!(
                "{} does not publish datasets",
                self.name
            ))),
        }
    }

    /// The publisher a dataset keeps after this curator's edit: only an admin moves a dataset to another agency.
    pub fn publisher_after_edit<'r>(
        &self,
        current: &'r str,
        requested: Option<&'r str>,
    ) -> &'r str {
        match (self.role, requested) {
            (CuratorRole::Admin, Some(requested)) => requested,
            _ => current,
        }
    }

    /// Harvested datasets belong to the harvester: it writes only datasets with a provenance (created as such, or
    /// already harvested), and no one else but an admin gives a dataset a provenance or edits one that has it.
    /// `before` is the content being edited (`None` for a new dataset).
    pub fn check_harvested(
        &self,
        before: Option<&DatasetContent>,
        after: &DatasetContent,
    ) -> Result<(), CatalogError> {
        let was = before.is_some_and(|b| b.provenance.is_some());
        let is = after.provenance.is_some();
        let refused = match self.role {
            CuratorRole::Admin => None,
            CuratorRole::Harvester if !is || (before.is_some() && !was) => {
                Some("a harvester writes only harvested datasets (with a provenance)")
            }
            CuratorRole::Harvester => None,
            _ if was => Some("this dataset is harvested: it is edited at its source"),
            _ if is => Some("only the harvester records a provenance"),
            _ => None,
        };
        match refused {
            Some(reason) => Err(CatalogError::Forbidden(format!("{}: {reason}", self.name))),
            None => Ok(()),
        }
    }

    /// Refused unless [`Curator::may_edit`].
    pub fn check_edit(&self, agency: &str) -> Result<(), CatalogError> {
        if self.may_edit(agency) {
            Ok(())
        } else {
            Err(CatalogError::Forbidden(format!(
                "{} may not edit datasets of {agency}",
                self.name
            )))
        }
    }

    /// Refused unless [`Curator::may`].
    pub fn check(&self, transition: Transition, agency: &str) -> Result<(), CatalogError> {
        if self.may(transition, agency) {
            Ok(())
        } else {
            Err(CatalogError::Forbidden(format!(
                "{} may not {} datasets of {agency}",
                self.name,
                transition.as_str()
            )))
        }
    }

    /// The name as the change log records it.
    pub fn actor(&self) -> Actor<'a> {
        Actor { name: self.name }
    }
}

/// A move through the publication workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// Draft or returned → submitted (the publisher asks for approval).
    Submit,
    /// Submitted → published (the approver accepts; the current revision becomes public).
    Publish,
    /// Submitted → returned, with a reason.
    Return,
    /// Published → withdrawn, with a reason (the metadata stays, answered with 410).
    Withdraw,
}

impl Transition {
    /// `submit`, `publish`, `return` or `withdraw`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Submit => "submit",
            Self::Publish => "publish",
            Self::Return => "return",
            Self::Withdraw => "withdraw",
        }
    }

    /// The transition named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "submit" => Self::Submit,
            "publish" => Self::Publish,
            "return" => Self::Return,
            "withdraw" => Self::Withdraw,
            _ => return None,
        })
    }

    /// Does it need a reason?
    pub fn needs_reason(self) -> bool {
        matches!(self, Self::Return | Self::Withdraw)
    }

    /// The state it leads to from `from` (with the dataset's published revision, if any), or `None` when it does not
    /// apply there.
    pub fn target(self, from: WorkflowStatus, published: Option<i64>) -> Option<WorkflowStatus> {
        use WorkflowStatus as S;
        match (self, from) {
            (Self::Submit, S::Draft | S::Returned) => Some(S::Submitted),
            (Self::Publish, S::Submitted) => Some(S::Published),
            (Self::Return, S::Submitted) => Some(S::Returned),
            (Self::Withdraw, s) if published.is_some() && s != S::Withdrawn => Some(S::Withdrawn),
            _ => None,
        }
    }
}

/// The revision a writer based its change on: what `If-Match` names, or the revision a curation form carried.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Expected {
    /// No precondition: the change applies to whatever is current (a merge patch still merges into the base read
    /// inside the write transaction, so nothing is lost).
    #[default]
    Any,
    /// The current revision must be one of these (an empty list never matches, like an `If-Match` naming no tag of
    /// ours).
    OneOf(Vec<i64>),
}

impl Expected {
    /// Exactly revision `n`.
    pub fn revision(n: i64) -> Self {
        Self::OneOf(vec![n])
    }

    /// Refuses with [`CatalogError::StaleRevision`] unless `current` is what the writer expected.
    pub fn check(&self, id: &str, current: i64) -> Result<(), CatalogError> {
        match self {
            Self::OneOf(seen) if !seen.contains(&current) => Err(CatalogError::StaleRevision {
                id: id.to_owned(),
                current,
            }),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publishers_edit_and_approvers_decide_for_their_own_agency_only() {
        let publisher = Curator {
            name: "p",
            role: CuratorRole::Publisher,
            agency: Some("G12"),
        };
        let approver = Curator {
            name: "a",
            role: CuratorRole::Approver,
            agency: Some("G12"),
        };
        assert!(publisher.may_edit("G12") && !publisher.may_edit("G01"));
        assert!(publisher.may_create("G12") && !approver.may_create("G12"));
        assert!(publisher.may(Transition::Submit, "G12"));
        assert!(!publisher.may(Transition::Publish, "G12"));
        assert!(
            approver.may(Transition::Publish, "G12") && !approver.may(Transition::Publish, "G01")
        );
        assert!(Curator::system("seed").may(Transition::Withdraw, "G01"));
    }

    #[test]
    fn transitions_follow_the_workflow() {
        use WorkflowStatus as S;
        assert_eq!(
            Transition::Submit.target(S::Returned, None),
            Some(S::Submitted)
        );
        assert_eq!(Transition::Publish.target(S::Draft, None), None);
        assert_eq!(
            Transition::Withdraw.target(S::Draft, Some(1)),
            Some(S::Withdrawn)
        );
        assert_eq!(Transition::Withdraw.target(S::Draft, None), None);
        for t in ["submit", "publish", "return", "withdraw"] {
            assert_eq!(Transition::parse(t).map(Transition::as_str), Some(t));
        }
    }

    #[test]
    fn a_stale_revision_is_refused() {
        assert!(Expected::Any.check("d", 3).is_ok());
        assert!(Expected::revision(3).check("d", 3).is_ok());
        assert!(matches!(
            Expected::revision(2).check("d", 3),
            Err(CatalogError::StaleRevision { current: 3, .. })
        ));
        assert!(Expected::OneOf(vec![]).check("d", 3).is_err());
    }

    #[test]
    fn scopes_follow_the_role() {
        let of = |role, agency| Curator {
            name: "x",
            role,
            agency,
        };
        let admin = of(CuratorRole::Admin, None);
        let publisher = of(CuratorRole::Publisher, Some("000.00.01.H01"));
        let approver = of(CuratorRole::Approver, Some("000.00.01.H01"));
        let other = of(CuratorRole::Other, None);
        assert_eq!(admin.workspace().unwrap(), None);
        assert_eq!(publisher.workspace().unwrap(), Some("000.00.01.H01"));
        assert!(other.workspace().is_err());
        assert!(of(CuratorRole::Publisher, None).workspace().is_err());
        assert_eq!(approver.review_scope().unwrap(), Some("000.00.01.H01"));
        assert!(publisher.review_scope().is_err());
        assert_eq!(admin.publisher_of_new(Some("a")).unwrap(), "a");
        assert_eq!(
            publisher.publisher_of_new(Some("a")).unwrap(),
            "000.00.01.H01"
        );
        assert!(approver.publisher_of_new(Some("a")).is_err());
        assert!(publisher.creates_datasets() && !approver.creates_datasets());
        assert_eq!(admin.publisher_after_edit("old", Some("new")), "new");
        assert_eq!(publisher.publisher_after_edit("old", Some("new")), "old");
    }
}
