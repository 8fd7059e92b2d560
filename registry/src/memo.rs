//! Values computed from SQL and kept while a marker of the data they came from stays where it was. The marker is
//! either the change log's head (every write the catalog and the registry make is a log entry, so an unmoved head means
//! the value still holds; read by the caller with `Registry::version_tag`, one indexed `MAX`), used for listing totals
//! and the registry items exports look up, or the registry's generation ([`crate::db::Database::registry_generation`],
//! an in-memory counter, no SQL at all), used for rendered items and labels.
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;

/// A map valid at one change-log head; reading at another head forgets everything.
#[derive(Debug)]
pub struct HeadMemo<K, V> {
    inner: Mutex<(i64, HashMap<K, V>)>,
    keep: usize,
}

impl<K: Hash + Eq, V: Clone> HeadMemo<K, V> {
    /// A memo of at most `keep` values (further values are computed but not kept).
    pub fn new(keep: usize) -> Self {
        Self {
            inner: Mutex::new((i64::MIN, HashMap::new())),
            keep,
        }
    }

    /// The value kept for `key` at `head`.
    pub fn get(&self, head: i64, key: &K) -> Option<V> {
        let mut memo = self.inner.lock().expect("memo lock");
        if memo.0 != head {
            *memo = (head, HashMap::new());
        }
        memo.1.get(key).cloned()
    }

    /// Keeps `value` for `key` as computed at `head` (dropped when the head has moved on since).
    pub fn put(&self, head: i64, key: K, value: V) {
        let mut memo = self.inner.lock().expect("memo lock");
        if memo.0 == head && memo.1.len() < self.keep {
            memo.1.insert(key, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::HeadMemo;

    #[test]
    fn a_moved_head_forgets_and_a_late_value_is_not_kept() {
        let memo = HeadMemo::new(2);
        assert_eq!(memo.get(7, &"a"), None);
        memo.put(7, "a", 1);
        assert_eq!(memo.get(7, &"a"), Some(1));
        // A value computed at an older head than the memo's now is dropped.
        assert_eq!(memo.get(8, &"a"), None);
        memo.put(7, "a", 1);
        assert_eq!(memo.get(8, &"a"), None);
        // At most `keep` values.
        memo.put(8, "a", 1);
        memo.put(8, "b", 2);
        memo.put(8, "c", 3);
        assert_eq!(memo.get(8, &"c"), None);
        assert_eq!(memo.get(8, &"b"), Some(2));
    }
}
