//! Values kept while the change log's head stays where it was: the registry's [`HeadMemo`], used here for listing
//! totals and the registry items exports look up.
pub use registry::memo::HeadMemo;
