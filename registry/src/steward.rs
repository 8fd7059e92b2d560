//! Who changes code lists, and the one rule saying which lists they may change.
//!
//! The rule is the registry's, written once: every use case that changes a list ([`crate::Registry::create_list`],
//! [`crate::Registry::propose`], [`crate::Registry::decide`], [`crate::Registry::create_release`]) checks it itself,
//! and the JSON API and the curation pages ask [`Steward::authorize`] before they read anything on a steward's behalf,
//! so the two cannot disagree.
use crate::error::RegistryError;

/// The part of an account the registry judges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StewardRole<'a> {
    /// Creates lists and changes every list (also the role of the server's own loaders).
    Admin,
    /// Changes the lists named (`*` for every list).
    Steward(&'a [String]),
    /// Any other role: reads only.
    Other,
}

/// Someone acting on code lists: a name recorded in the change log and a role.
#[derive(Debug, Clone, Copy)]
pub struct Steward<'a> {
    /// Name recorded in change requests and the change log.
    pub name: &'a str,
    /// Role.
    pub role: StewardRole<'a>,
}

impl<'a> Steward<'a> {
    /// The server itself (seed loader, bootstrap), allowed everything.
    pub fn system(name: &'a str) -> Self {
        Self {
            name,
            role: StewardRole::Admin,
        }
    }

    /// May change code list `list` (propose, decide, import, release)?
    pub fn may_curate(&self, list: &str) -> bool {
        match self.role {
            StewardRole::Admin => true,
            StewardRole::Steward(lists) => lists.iter().any(|l| l == "*" || l == list),
            StewardRole::Other => false,
        }
    }

    /// Curates any list at all?
    pub fn curates_some(&self) -> bool {
        match self.role {
            StewardRole::Admin => true,
            StewardRole::Steward(lists) => !lists.is_empty(),
            StewardRole::Other => false,
        }
    }

    /// May create code lists? Only an admin.
    pub fn may_create_lists(&self) -> bool {
        self.role == StewardRole::Admin
    }

    /// Refuses unless this steward may change `list`.
    pub fn authorize(&self, list: &str) -> Result<(), RegistryError> {
        if self.may_curate(list) {
            Ok(())
        } else {
            Err(RegistryError::Forbidden(format!(
                "{} may not change code list {list:?}",
                self.name
            )))
        }
    }

    /// Refuses unless this steward may create code lists.
    pub fn authorize_new_list(&self) -> Result<(), RegistryError> {
        if self.may_create_lists() {
            Ok(())
        } else {
            Err(RegistryError::Forbidden(
                "only an admin creates code lists".into(),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Steward, StewardRole};

    #[test]
    fn stewards_change_their_lists_only_and_only_admins_create_lists() {
        let lists = vec!["themes".to_owned()];
        let steward = Steward {
            name: "s",
            role: StewardRole::Steward(&lists),
        };
        assert!(steward.authorize("themes").is_ok());
        let refused = steward.authorize("agencies").unwrap_err().to_string();
        assert_eq!(refused, "s may not change code list \"agencies\"");
        assert!(steward.authorize_new_list().is_err());
        let every = vec!["*".to_owned()];
        let all = Steward {
            name: "a",
            role: StewardRole::Steward(&every),
        };
        assert!(all.may_curate("agencies") && !all.may_create_lists());
        assert!(Steward::system("seed").authorize_new_list().is_ok());
        let reader = Steward {
            name: "r",
            role: StewardRole::Other,
        };
        assert!(!reader.curates_some() && !reader.may_curate("themes"));
        let none = Steward {
            name: "n",
            role: StewardRole::Steward(&[]),
        };
        assert!(!none.curates_some());
    }
}
