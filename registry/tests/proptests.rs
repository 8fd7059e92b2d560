//! Property tests: canonical hashing of item content (key order and whitespace do not matter, different content
//! gives a different hash) and the field-by-field diff the release diff and import plans are built on.
use std::collections::BTreeMap;

use chrono::NaiveDate;
use proptest::prelude::*;
use registry::plan::field_changes;
use registry::{ItemData, ItemStatus, LangText, LegalBasis, Notation};
use serde_json::Value;

fn text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 àđươ\"\\\\'=|,.-]{0,12}"
}

fn opt_text() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(text())
}

fn date() -> impl Strategy<Value = NaiveDate> {
    (0i64..40_000)
        .prop_map(|d| NaiveDate::from_ymd_opt(1950, 1, 1).unwrap() + chrono::Days::new(d as u64))
}

fn item() -> impl Strategy<Value = ItemData> {
    (
        "[A-Z][0-9]{2}(\\.[0-9]{1,2}){0,2}",
        proptest::option::of("[A-Z][0-9]{2}"),
        (opt_text(), opt_text(), opt_text(), opt_text()),
        prop_oneof![
            Just(ItemStatus::Submitted),
            Just(ItemStatus::Valid),
            Just(ItemStatus::Superseded),
            Just(ItemStatus::Retired),
            Just(ItemStatus::Invalid),
        ],
        (proptest::option::of(date()), proptest::option::of(date())),
        proptest::option::of((opt_text(), proptest::option::of(date()), opt_text())),
        proptest::collection::vec("[A-Z][0-9]{2}", 0..3),
        proptest::collection::vec(text(), 0..2),
        proptest::collection::btree_map("[a-z]{1,6}", (any::<i32>(), text()), 0..3),
    )
        .prop_map(
            |(
                code,
                parent,
                (lv, le, dv, de),
                status,
                (from, to),
                legal,
                successors,
                notations,
                attrs,
            )| ItemData {
                code,
                parent,
                level: None,
                labels: LangText { vi: lv, en: le },
                definition: LangText { vi: dv, en: de },
                status,
                valid_from: from,
                valid_to: to,
                legal_basis: legal.map(|(decision, date, issuer)| LegalBasis {
                    decision,
                    date,
                    issuer,
                }),
                successors,
                notations: notations
                    .into_iter()
                    .map(|value| Notation {
                        kind: "qcvn102".to_owned(),
                        value,
                    })
                    .collect(),
                exact_match: vec![],
                close_match: vec![],
                attributes: attrs
                    .into_iter()
                    .map(|(k, (n, s))| {
                        (
                            k,
                            if n % 2 == 0 {
                                Value::from(n)
                            } else {
                                Value::from(s)
                            },
                        )
                    })
                    .collect::<BTreeMap<_, _>>(),
            },
        )
}

/// The same JSON object with its keys (recursively) in reverse order.
fn reversed(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .rev()
                .map(|(k, v)| (k.clone(), reversed(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(reversed).collect()),
        other => other.clone(),
    }
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn canonical_hash_ignores_key_order_and_whitespace(item in item()) {
        let value = serde_json::to_value(&item).unwrap();
        let shuffled = serde_json::to_string_pretty(&reversed(&value)).unwrap();
        let back: ItemData = serde_json::from_str(&shuffled).unwrap();
        prop_assert_eq!(back.canonical_json(), item.canonical_json());
        prop_assert_eq!(back.sha256(), item.sha256());
        // The canonical form is itself canonical.
        let again: ItemData = serde_json::from_str(&item.canonical_json()).unwrap();
        prop_assert_eq!(again.canonical_json(), item.canonical_json());
    }

    #[test]
    fn different_content_different_hash(a in item(), b in item()) {
        prop_assert_eq!(a == b, a.sha256() == b.sha256());
    }

    #[test]
    fn diff_with_itself_is_empty(a in item()) {
        prop_assert!(field_changes(&a, &a).is_empty());
    }

    #[test]
    fn diff_is_empty_only_for_equal_items(a in item(), b in item()) {
        prop_assert_eq!(field_changes(&a, &b).is_empty(), a == b);
    }

    #[test]
    fn diff_inverts_by_swapping_before_and_after(a in item(), b in item()) {
        let forward = field_changes(&a, &b);
        let backward = field_changes(&b, &a);
        prop_assert_eq!(forward.len(), backward.len());
        for (f, r) in forward.iter().zip(&backward) {
            prop_assert_eq!(&f.field, &r.field);
            prop_assert_eq!(&f.before, &r.after);
            prop_assert_eq!(&f.after, &r.before);
        }
    }

    #[test]
    fn applying_the_diff_gives_the_after_item(a in item(), b in item()) {
        let mut value = serde_json::to_value(&a).unwrap();
        let map = value.as_object_mut().unwrap();
        for change in field_changes(&a, &b) {
            match change.after {
                Some(v) => { map.insert(change.field, v); }
                None => { map.remove(&change.field); }
            }
        }
        let applied: ItemData = serde_json::from_value(value).unwrap();
        prop_assert_eq!(applied, b);
    }
}
