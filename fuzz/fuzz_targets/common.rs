// Shared by the fuzz targets (included with `include!`).

/// The agencies list's metadata as the seed declares it (the agency-code grammar and the `qcvn102` notation).
#[allow(dead_code)]
fn agencies_meta() -> registry::CodeListMeta {
    let mut v: serde_json::Value =
        serde_json::from_str(include_str!("../../datasets/registry/agencies/list.json")).unwrap();
    v.as_object_mut().unwrap().remove("steps");
    v.as_object_mut().unwrap().retain(|k, _| {
        matches!(
            k.as_str(),
            "id" | "title"
                | "description"
                | "ownerAgency"
                | "codePattern"
                | "levels"
                | "licence"
                | "notationTypes"
                | "attributes"
        )
    });
    serde_json::from_value(v).expect("agencies list metadata")
}
