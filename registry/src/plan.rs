//! Planning a set of changes against a list's current items: what each change would do, and every reason it cannot.
//!
//! Planning is pure (no I/O): the store loads the list, the planner returns either a [`Plan`] that the store applies in
//! one transaction, or all the problems found, each located by CSV line or JSON field.
use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use crate::error::InputProblem;
use crate::model::{Change, CodeListMeta, ItemData, ItemStatus};

/// What a planned change does to an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    /// A new code.
    Add,
    /// Some fields change, the code stays open.
    Modify,
    /// The code is closed with successors.
    Supersede,
    /// The code is closed without successor.
    Retire,
}

/// One field that differs.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldChange {
    /// The field (camelCase, as in the JSON API).
    pub field: String,
    /// Before (absent when the field was not set).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<serde_json::Value>,
    /// After (absent when the field is removed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<serde_json::Value>,
}

/// Field-by-field differences of two items.
pub fn field_changes(before: &ItemData, after: &ItemData) -> Vec<FieldChange> {
    let to_map = |item: &ItemData| match serde_json::to_value(item).expect("item serializes") {
        serde_json::Value::Object(map) => map,
        _ => unreachable!("items serialize as objects"),
    };
    let (a, b) = (to_map(before), to_map(after));
    let fields: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    fields
        .into_iter()
        .filter(|f| a.get(*f) != b.get(*f))
        .map(|f| FieldChange {
            field: f.clone(),
            before: a.get(f).cloned(),
            after: b.get(f).cloned(),
        })
        .collect()
}

/// One planned change.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PlannedChange {
    /// The code.
    pub code: String,
    /// What happens.
    pub kind: ChangeKind,
    /// The CSV line, when imported.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// The fields that change (empty for an add).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldChange>,
    /// The item before.
    #[serde(skip)]
    pub before: Option<ItemData>,
    /// The item after.
    pub after: ItemData,
}

/// The result of planning: the changes that would be applied.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    /// Changes that alter something, in code order.
    pub changes: Vec<PlannedChange>,
    /// Changes that would leave an item exactly as it is.
    pub unchanged: usize,
}

/// What a change request or a CSV import would do, as the API shows it before it is applied.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Preview {
    /// Counts per kind: `add`, `modify`, `supersede`, `retire`.
    #[cfg_attr(feature = "openapi", schema(value_type = BTreeMap<String, usize>))]
    pub summary: BTreeMap<&'static str, usize>,
    /// Changes that would alter something, in code order.
    pub changes: Vec<PlannedChange>,
    /// Changes that would leave an item exactly as it is.
    pub unchanged: usize,
}

impl From<Plan> for Preview {
    fn from(plan: Plan) -> Self {
        Self {
            summary: plan.summary(),
            changes: plan.changes,
            unchanged: plan.unchanged,
        }
    }
}

impl Plan {
    /// Counts per kind.
    pub fn summary(&self) -> BTreeMap<&'static str, usize> {
        let mut out = BTreeMap::from([("add", 0), ("modify", 0), ("supersede", 0), ("retire", 0)]);
        for c in &self.changes {
            let key = match c.kind {
                ChangeKind::Add => "add",
                ChangeKind::Modify => "modify",
                ChangeKind::Supersede => "supersede",
                ChangeKind::Retire => "retire",
            };
            *out.get_mut(key).expect("all kinds present") += 1;
        }
        out
    }
}

struct Located {
    line: Option<u64>,
    path: String,
}

impl Located {
    fn problem(&self, column: &str, message: impl Into<String>) -> InputProblem {
        match self.line {
            Some(line) => InputProblem::line(line, Some(column), message),
            None => InputProblem::field(format!("{}/{column}", self.path), message),
        }
    }
}

/// Plans `changes` against `current` (the list's items by code).
pub fn plan(
    meta: &CodeListMeta,
    current: &HashMap<String, ItemData>,
    changes: &[Change],
) -> Result<Plan, Vec<InputProblem>> {
    let mut problems = Vec::new();
    let mut working: HashMap<String, ItemData> = HashMap::new();
    let mut touched: BTreeMap<String, Located> = BTreeMap::new();
    let mut first_seen: HashMap<String, Located> = HashMap::new();
    let get = |working: &HashMap<String, ItemData>, code: &str| -> Option<ItemData> {
        working.get(code).or_else(|| current.get(code)).cloned()
    };

    for (i, change) in changes.iter().enumerate() {
        let line = match change {
            Change::Put { line, .. } => *line,
            _ => None,
        };
        let at = Located {
            line,
            path: format!("changes/{i}"),
        };
        let code = change.code().to_owned();
        if let Some(prev) = first_seen.get(&code) {
            let where_ = match prev.line {
                Some(l) => format!("line {l}"),
                None => prev.path.clone(),
            };
            problems.push(at.problem(
                "code",
                format!("duplicate code {code:?} (also at {where_})"),
            ));
            continue;
        }
        let existing = get(&working, &code);
        let next = match change {
            Change::Add { item } => {
                if let Some(old) = &existing {
                    let msg = if old.status.is_closed() {
                        format!(
                            "code {code:?} is closed ({}) and can never be reused",
                            old.status.as_str()
                        )
                    } else {
                        format!("code {code:?} already exists")
                    };
                    problems.push(at.problem("code", msg));
                    continue;
                }
                item.clone()
            }
            Change::Put { item, .. } => item.clone(),
            Change::Modify { set, .. } => match &existing {
                Some(old) => set.apply(old),
                None => {
                    problems.push(at.problem("code", format!("no item with code {code:?}")));
                    continue;
                }
            },
            Change::Supersede {
                successors,
                valid_to,
                legal_basis,
                ..
            } => match &existing {
                Some(old) => {
                    let mut new = old.clone();
                    new.status = ItemStatus::Superseded;
                    new.successors = successors.clone();
                    new.valid_to = Some(*valid_to);
                    if legal_basis.is_some() {
                        new.legal_basis = legal_basis.clone();
                    }
                    new
                }
                None => {
                    problems.push(at.problem("code", format!("no item with code {code:?}")));
                    continue;
                }
            },
            Change::Retire {
                valid_to,
                legal_basis,
                ..
            } => match &existing {
                Some(old) => {
                    let mut new = old.clone();
                    new.status = ItemStatus::Retired;
                    new.valid_to = Some(*valid_to);
                    if legal_basis.is_some() {
                        new.legal_basis = legal_basis.clone();
                    }
                    new
                }
                None => {
                    problems.push(at.problem("code", format!("no item with code {code:?}")));
                    continue;
                }
            },
        };
        if let Some(old) = &existing
            && old.status.is_closed()
            && !next.status.is_closed()
        {
            problems.push(at.problem(
                "status",
                format!(
                    "code {code:?} is closed ({}) and can never be reused",
                    old.status.as_str()
                ),
            ));
            continue;
        }
        working.insert(code.clone(), next);
        first_seen.insert(
            code.clone(),
            Located {
                line,
                path: at.path.clone(),
            },
        );
        touched.insert(code, at);
    }

    // Every code and notation of the resulting state with the items it identifies, to refuse one used by two items.
    let mut notation_owners: HashMap<&str, Vec<&str>> = HashMap::new();
    for (code, item) in current
        .iter()
        .filter(|(c, _)| !working.contains_key(*c))
        .chain(working.iter())
    {
        for (_, value) in item.all_notations() {
            notation_owners
                .entry(value)
                .or_default()
                .push(code.as_str());
        }
    }

    let pattern = meta.code_regex();
    let declared_notations: HashSet<&str> =
        meta.notation_types.iter().map(String::as_str).collect();
    for (code, at) in &touched {
        let item = &working[code];
        if !pattern.is_match(code) {
            problems.push(at.problem(
                "code",
                format!(
                    "{code:?} does not match the list's pattern {}",
                    meta.code_pattern
                ),
            ));
        }
        if item.labels.vi.as_deref().is_none_or(str::is_empty) {
            problems.push(at.problem("label_vi", "a Vietnamese label is required"));
        }
        if let Some(level) = &item.level
            && !meta.levels.contains(level)
        {
            problems.push(at.problem(
                "level",
                format!("{level:?} is not a level of this list ({:?})", meta.levels),
            ));
        }
        if let Some(parent) = &item.parent {
            if parent == code {
                problems.push(at.problem("parent", "an item cannot be its own parent"));
            } else if get(&working, parent).is_none() {
                problems.push(at.problem("parent", format!("unknown parent {parent:?}")));
            } else {
                // Walk up the resulting hierarchy: reaching this item again means a cycle.
                let mut cursor = Some(parent.clone());
                let mut steps = 0;
                while let Some(p) = cursor {
                    if p == *code {
                        problems.push(at.problem("parent", "the parent chain forms a cycle"));
                        break;
                    }
                    steps += 1;
                    if steps > 1000 {
                        break;
                    }
                    cursor = working
                        .get(&p)
                        .or_else(|| current.get(&p))
                        .and_then(|i| i.parent.clone());
                }
            }
        }
        match item.status {
            ItemStatus::Superseded => {
                if item.successors.is_empty() {
                    problems.push(at.problem(
                        "successors",
                        "a superseded item needs at least one successor",
                    ));
                }
                if item.valid_to.is_none() {
                    problems.push(at.problem("valid_to", "a superseded item needs validTo"));
                }
            }
            ItemStatus::Retired if item.valid_to.is_none() => {
                problems.push(at.problem("valid_to", "a retired item needs validTo"));
            }
            _ => {}
        }
        for s in &item.successors {
            if s == code {
                problems.push(at.problem("successors", "an item cannot succeed itself"));
            } else if get(&working, s).is_none() {
                problems.push(at.problem("successors", format!("unknown successor {s:?}")));
            }
        }
        if let (Some(from), Some(to)) = (item.valid_from, item.valid_to)
            && to <= from
        {
            problems.push(at.problem("valid_to", "validTo must be after validFrom"));
        }
        for n in &item.notations {
            if !declared_notations.contains(n.kind.as_str()) {
                problems.push(at.problem(
                    &format!("notation:{}", n.kind),
                    format!("notation type {:?} is not declared by the list", n.kind),
                ));
            }
            if notation_owners
                .get(n.value.as_str())
                .is_some_and(|owners| owners.iter().any(|o| o != code))
            {
                problems.push(at.problem(
                    &format!("notation:{}", n.kind),
                    format!("notation {:?} already identifies another item", n.value),
                ));
            }
        }
        for (name, value) in &item.attributes {
            match meta.attributes.get(name) {
                None => problems.push(at.problem(
                    &format!("attr:{name}"),
                    "attribute not declared by the list",
                )),
                Some(def) => {
                    if let Err(e) = def.check(value) {
                        problems.push(at.problem(&format!("attr:{name}"), e));
                    }
                }
            }
        }
        for (column, iris) in [
            ("exact_match", &item.exact_match),
            ("close_match", &item.close_match),
        ] {
            for iri in iris {
                if let Err(e) = oxrdf::NamedNode::new(iri.as_str()) {
                    problems.push(at.problem(column, format!("{iri:?} is not an IRI: {e}")));
                }
            }
        }
    }
    if !problems.is_empty() {
        problems.sort_by_key(|p| p.line);
        return Err(problems);
    }

    let mut out = Vec::new();
    let mut unchanged = 0;
    for (code, at) in touched {
        let after = working
            .remove(&code)
            .expect("touched items are in the working set");
        let before = current.get(&code).cloned();
        let kind = match &before {
            None => ChangeKind::Add,
            Some(b) if *b == after => {
                unchanged += 1;
                continue;
            }
            Some(b)
                if after.status == ItemStatus::Superseded && b.status != ItemStatus::Superseded =>
            {
                ChangeKind::Supersede
            }
            Some(b) if after.status.is_closed() && !b.status.is_closed() => ChangeKind::Retire,
            Some(_) => ChangeKind::Modify,
        };
        let fields = before
            .as_ref()
            .map(|b| field_changes(b, &after))
            .unwrap_or_default();
        out.push(PlannedChange {
            code,
            kind,
            line: at.line,
            fields,
            before,
            after,
        });
    }
    Ok(Plan {
        changes: out,
        unchanged,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CodeListId, LangText};

    fn meta() -> CodeListMeta {
        CodeListMeta {
            id: CodeListId::parse("units").unwrap(),
            title: LangText::new(Some("Đơn vị"), None),
            description: LangText::default(),
            owner_agency: None,
            code_pattern: "[0-9]{2}|[0-9]{3}".into(),
            levels: vec!["province".into(), "district".into()],
            licence: None,
            notation_types: vec!["alt".into()],
            attributes: Default::default(),
        }
    }

    fn item(code: &str, parent: Option<&str>) -> ItemData {
        serde_json::from_value(
            serde_json::json!({"code": code, "parent": parent, "labels": {"vi": code}}),
        )
        .unwrap()
    }

    fn current() -> HashMap<String, ItemData> {
        let mut closed = item("02", None);
        closed.status = ItemStatus::Superseded;
        closed.successors = vec!["01".into()];
        closed.valid_to = Some(chrono::NaiveDate::from_ymd_opt(2025, 7, 1).unwrap());
        [item("01", None), closed]
            .into_iter()
            .map(|i| (i.code.clone(), i))
            .collect()
    }

    #[test]
    fn add_modify_and_supersede_are_classified() {
        let changes = vec![
            Change::Add {
                item: item("03", None),
            },
            Change::Add {
                item: item("001", Some("03")),
            },
            Change::Supersede {
                code: "01".into(),
                successors: vec!["03".into()],
                valid_to: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
                legal_basis: None,
            },
        ];
        let plan = plan(&meta(), &current(), &changes).unwrap();
        let kinds: Vec<_> = plan
            .changes
            .iter()
            .map(|c| (c.code.as_str(), c.kind))
            .collect();
        assert_eq!(
            kinds,
            [
                ("001", ChangeKind::Add),
                ("01", ChangeKind::Supersede),
                ("03", ChangeKind::Add)
            ]
        );
        let fields: Vec<_> = plan.changes[1]
            .fields
            .iter()
            .map(|f| f.field.as_str())
            .collect();
        assert_eq!(fields, ["status", "successors", "validTo"]);
    }

    #[test]
    fn closed_codes_are_never_reused() {
        let err = plan(
            &meta(),
            &current(),
            &[Change::Add {
                item: item("02", None),
            }],
        )
        .unwrap_err();
        assert!(err[0].message.contains("closed"), "{err:?}");
        let put = Change::Put {
            item: item("02", None),
            line: Some(7),
        };
        let err = plan(&meta(), &current(), &[put]).unwrap_err();
        assert_eq!(err[0].line, Some(7));
        assert!(err[0].message.contains("never be reused"));
    }

    #[test]
    fn every_problem_is_reported_with_its_line() {
        let changes = vec![
            Change::Put {
                item: item("1x", None),
                line: Some(2),
            },
            Change::Put {
                item: item("04", Some("99")),
                line: Some(3),
            },
            Change::Put {
                item: item("04", None),
                line: Some(4),
            },
        ];
        let err = plan(&meta(), &current(), &changes).unwrap_err();
        let lines: Vec<_> = err.iter().map(|p| (p.line, p.field.clone())).collect();
        assert_eq!(
            lines,
            [
                (Some(2), Some("code".into())),
                (Some(3), Some("parent".into())),
                (Some(4), Some("code".into()))
            ]
        );
    }

    #[test]
    fn cycles_and_shared_notations_are_refused() {
        let mut a = item("05", Some("06"));
        let b = item("06", Some("05"));
        a.notations = vec![crate::model::Notation {
            kind: "alt".into(),
            value: "01".into(),
        }];
        let err = plan(
            &meta(),
            &current(),
            &[Change::Add { item: a }, Change::Add { item: b }],
        )
        .unwrap_err();
        let messages: Vec<_> = err.iter().map(|p| p.message.as_str()).collect();
        assert!(messages.iter().any(|m| m.contains("cycle")), "{messages:?}");
        assert!(
            messages.iter().any(|m| m.contains("another item")),
            "{messages:?}"
        );
    }

    #[test]
    fn status_at_uses_a_half_open_interval() {
        let closed = &current()["02"];
        let day = |d| chrono::NaiveDate::from_ymd_opt(2025, 6, d).unwrap();
        assert_eq!(closed.status_at(day(30)), crate::model::StatusAt::Valid);
        let july = chrono::NaiveDate::from_ymd_opt(2025, 7, 1).unwrap();
        assert_eq!(closed.status_at(july), crate::model::StatusAt::Superseded);
    }
}
