//! Property tests: canonical JSON of dataset content (key order and whitespace do not matter) and the field-by-field
//! diff of revisions (`diff_fields`).
use catalog::store::{FieldDiff, diff_fields};
use proptest::prelude::*;
use serde_json::{Map, Value};

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        "[a-zA-Zàđ \"\\\\]{0,8}".prop_map(Value::from),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            proptest::collection::btree_map("[a-e]{1,2}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A revision's top-level object: a few fields from a small key space, so two objects share keys often.
fn object() -> impl Strategy<Value = Value> {
    proptest::collection::btree_map("[a-f]", value(), 0..6)
        .prop_map(|m| Value::Object(m.into_iter().collect()))
}

fn apply(a: &Value, changes: &[FieldDiff]) -> Value {
    let mut map: Map<String, Value> = a.as_object().cloned().unwrap_or_default();
    for c in changes {
        let field = c.field.clone();
        match &c.after {
            Some(Value::Null) | None => {
                // `after: null` means absent unless the field holds null after (then it would not be a change
                // from a present null): `diff_fields` reports `None` as JSON null.
                map.remove(&field);
            }
            Some(v) => {
                map.insert(field, v.clone());
            }
        }
    }
    Value::Object(map)
}

fn without_nulls(v: &Value) -> Value {
    Value::Object(
        v.as_object()
            .unwrap()
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    )
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
    fn diff_with_itself_is_empty(a in object()) {
        prop_assert!(diff_fields(&a, &a).is_empty());
    }

    #[test]
    fn diff_is_empty_only_for_equal_objects(a in object(), b in object()) {
        prop_assert_eq!(diff_fields(&a, &b).is_empty(), a == b);
    }

    #[test]
    fn diff_does_not_depend_on_key_order(a in object(), b in object()) {
        let rev = |v: &Value| Value::Object(v.as_object().unwrap().iter().rev().map(|(k, v)| (k.clone(), v.clone())).collect());
        prop_assert_eq!(diff_fields(&a, &b), diff_fields(&rev(&a), &rev(&b)));
    }

    #[test]
    fn diff_inverts_by_swapping_before_and_after(a in object(), b in object()) {
        let forward = diff_fields(&a, &b);
        let backward = diff_fields(&b, &a);
        prop_assert_eq!(forward.len(), backward.len());
        for (f, r) in forward.iter().zip(&backward) {
            prop_assert_eq!(&f.field, &r.field);
            prop_assert_eq!(&f.before, &r.after);
            prop_assert_eq!(&f.after, &r.before);
        }
    }

    #[test]
    fn applying_the_diff_gives_the_after_object(a in object(), b in object()) {
        // A field holding null and an absent field read the same in the diff's output, so compare without nulls.
        prop_assert_eq!(without_nulls(&apply(&a, &diff_fields(&a, &b))), without_nulls(&b));
    }

    #[test]
    fn canonical_text_ignores_key_order_and_whitespace(a in object()) {
        let rev = Value::Object(a.as_object().unwrap().iter().rev().map(|(k, v)| (k.clone(), v.clone())).collect());
        let pretty = serde_json::to_string_pretty(&rev).unwrap();
        let back: Value = serde_json::from_str(&pretty).unwrap();
        prop_assert!(diff_fields(&a, &back).is_empty());
    }
}
