//! The registry's domain types: code lists, items, statuses, legal validity, notations, change requests and releases.
//!
//! Items follow ISO 19135 ideas: a code is registered once and never reused; its status moves from `submitted` to `valid`
//! and then to `superseded` (with successors) or `retired`, or is `invalid` (registered in error). Legal validity
//! (`validFrom`/`validTo`, a half-open interval of dates) is kept apart from registry time (when the registry recorded it).
//!
//! Split by what the types describe: [`list`] (a list's metadata and texts), [`item`] (an item's content and status),
//! [`change`] (changes, change requests and releases). Everything is re-exported here.
pub mod change;
pub mod item;
pub mod list;

pub use change::*;
pub use item::*;
pub use list::*;
