//! CKAN 2.10's dicts as types: a package with its resources, tags, groups and organization, and an organization or
//! group on its own. Every key CKAN's default schema returns is a field here, so a key cannot go missing from one
//! answer and not another; a value we do not have is `null`, as CKAN gives it (the keys and their order follow
//! `package_dictize`, `resource_dictize` and `group_dictize` of CKAN 2.10 and the columns of its `package`, `resource`,
//! `tag` and `group` tables). Fields borrow from the dataset record, so rendering a package allocates little.
use catalog::store::DatasetRecord;
use serde::Serialize;

/// A package (`package_show`, `package_search`'s results).
#[derive(Serialize)]
pub(super) struct Package<'a> {
    pub author: Option<&'a str>,
    pub author_email: Option<&'a str>,
    pub creator_user_id: Option<&'a str>,
    pub id: &'a str,
    pub isopen: bool,
    pub license_id: Option<&'a str>,
    pub license_title: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub license_url: Option<&'a str>,
    pub maintainer: Option<&'a str>,
    pub maintainer_email: Option<&'a str>,
    pub metadata_created: &'a str,
    pub metadata_modified: &'a str,
    pub name: &'a str,
    pub notes: Option<&'a str>,
    pub num_resources: usize,
    pub num_tags: usize,
    pub organization: Organization<'a>,
    pub owner_org: &'a str,
    pub private: bool,
    pub state: &'static str,
    pub title: Option<&'a str>,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub url: Option<&'a str>,
    pub version: Option<&'a str>,
    pub extras: Vec<Extra<'a>>,
    pub resources: Vec<Resource<'a>>,
    pub tags: Vec<Tag<'a>>,
    pub groups: Vec<PackageGroup<'a>>,
    pub relationships_as_subject: [(); 0],
    pub relationships_as_object: [(); 0],
}

/// One `extras` entry.
#[derive(Serialize)]
pub(super) struct Extra<'a> {
    pub key: &'static str,
    pub value: std::borrow::Cow<'a, str>,
}

/// A resource (a distribution).
#[derive(Serialize)]
pub(super) struct Resource<'a> {
    pub cache_last_updated: Option<&'a str>,
    pub cache_url: Option<&'a str>,
    pub created: &'a str,
    pub datastore_active: bool,
    pub description: &'a str,
    pub format: &'a str,
    pub hash: String,
    pub id: String,
    pub last_modified: Option<&'a str>,
    pub metadata_modified: &'a str,
    pub mimetype: Option<&'a str>,
    pub mimetype_inner: Option<&'a str>,
    pub name: &'a str,
    pub package_id: &'a str,
    pub position: usize,
    pub resource_type: Option<&'a str>,
    pub size: Option<u64>,
    pub state: &'static str,
    pub url: std::borrow::Cow<'a, str>,
    pub url_type: Option<&'static str>,
}

/// A tag (a keyword). CKAN's tag ids are UUIDs of its `tag` table; ours are derived from the name, so the same
/// keyword has the same id everywhere.
#[derive(Serialize)]
pub(super) struct Tag<'a> {
    pub display_name: &'a str,
    pub id: String,
    pub name: &'a str,
    pub state: &'static str,
    pub vocabulary_id: Option<&'a str>,
}

/// A group as a package lists it (a data theme).
#[derive(Serialize)]
pub(super) struct PackageGroup<'a> {
    pub description: &'a str,
    pub display_name: &'a str,
    pub id: &'a str,
    pub image_display_url: &'a str,
    pub name: &'a str,
    pub title: &'a str,
}

/// An organization as a package carries it (an agency): the columns of CKAN's `group` table.
#[derive(Serialize, Clone)]
pub(super) struct Organization<'a> {
    pub id: &'a str,
    pub name: String,
    pub title: &'a str,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub description: &'a str,
    pub image_url: &'a str,
    pub created: Option<&'a str>,
    pub is_organization: bool,
    pub approval_status: &'static str,
    pub state: &'static str,
}

/// What a package shows of the registry: the labels of its codes, looked up by the caller.
pub(super) struct PackageLabels<'a> {
    /// The agency's Vietnamese name and English name (CKAN's title and description).
    pub agency: (&'a str, &'a str),
    /// The licence's title and URL, if the registry has the licence.
    pub licence: Option<(&'a str, Option<&'a str>)>,
    /// Each theme's title, in the record's order.
    pub themes: Vec<&'a str>,
}

/// A tag's id: a UUID (version 8, RFC 9562) made of the sha256 of its name.
pub(super) fn tag_id(name: &str) -> String {
    use sha2::{Digest, Sha256};
    let h = Sha256::digest(name.as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&h[..16]);
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let x = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &x[..8],
        &x[8..12],
        &x[12..16],
        &x[16..20],
        &x[20..]
    )
}

/// One published dataset as a CKAN package.
pub(super) fn package<'a>(record: &'a DatasetRecord, labels: &PackageLabels<'a>) -> Package<'a> {
    let c = &record.content;
    let created = record
        .first_published_at
        .as_deref()
        .unwrap_or(&record.created_at);
    let modified = record.published_at.as_deref().unwrap_or(&record.updated_at);
    let groups = c
        .themes
        .iter()
        .zip(&labels.themes)
        .map(|(t, title)| PackageGroup {
            description: "",
            display_name: title,
            id: t,
            image_display_url: "",
            name: t,
            title,
        })
        .collect();
    let tags: Vec<Tag<'a>> = c
        .keywords
        .vi
        .iter()
        .chain(&c.keywords.en)
        .map(|k| Tag {
            display_name: k,
            id: tag_id(k),
            name: k,
            state: "active",
            vocabulary_id: None,
        })
        .collect();
    let resources = c
        .distributions
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let url = if d.file_sha256.is_some() {
                std::borrow::Cow::Owned(format!("{}/distribution/{}/download", record.uri, d.id))
            } else {
                std::borrow::Cow::Borrowed(
                    d.download_url
                        .as_deref()
                        .or(d.access_url.as_deref())
                        .unwrap_or_default(),
                )
            };
            Resource {
                cache_last_updated: None,
                cache_url: None,
                created,
                datastore_active: d.is_csv_file(),
                description: d.description.vi.as_deref().unwrap_or_default(),
                format: d.format.as_deref().unwrap_or_default(),
                hash: d
                    .file_sha256
                    .as_ref()
                    .map(|h| format!("sha256:{h}"))
                    .unwrap_or_default(),
                id: format!("{}.{}", record.id, d.id),
                last_modified: None,
                metadata_modified: modified,
                mimetype: d.media_type.as_deref(),
                mimetype_inner: None,
                name: d
                    .title
                    .vi
                    .as_deref()
                    .or(d.title.en.as_deref())
                    .unwrap_or(&d.id),
                package_id: &record.id,
                position: i,
                resource_type: None,
                size: d.byte_size,
                state: "active",
                url,
                url_type: d.file_sha256.as_ref().map(|_| "upload"),
            }
        })
        .collect();
    Package {
        author: None,
        author_email: None,
        creator_user_id: None,
        id: &record.id,
        isopen: labels.licence.is_some(),
        license_id: c.licence.as_deref(),
        license_title: labels
            .licence
            .map(|(title, _)| title)
            .or(c.licence.as_deref()),
        license_url: labels.licence.and_then(|(_, url)| url),
        maintainer: c.contact_point.as_ref().map(|p| p.name.as_str()),
        maintainer_email: c.contact_point.as_ref().and_then(|p| p.email.as_deref()),
        metadata_created: created,
        metadata_modified: modified,
        name: &record.id,
        notes: c.description.vi.as_deref(),
        num_resources: c.distributions.len(),
        num_tags: tags.len(),
        organization: organization(&c.publisher, labels.agency),
        owner_org: &c.publisher,
        private: false,
        state: "active",
        title: c.title.vi.as_deref(),
        kind: "dataset",
        url: c.landing_page.as_deref(),
        version: None,
        extras: extras(record),
        resources,
        tags,
        groups,
        relationships_as_subject: [],
        relationships_as_object: [],
    }
}

/// An agency as the organization of its packages.
pub(super) fn organization<'a>(
    code: &'a str,
    (title, description): (&'a str, &'a str),
) -> Organization<'a> {
    Organization {
        id: code,
        name: super::organizations::org_name(code),
        title,
        kind: "organization",
        description,
        image_url: "",
        created: None,
        is_organization: true,
        approval_status: "approved",
        state: "active",
    }
}

/// The DCAT fields CKAN has no place for, in key order (as CKAN sorts them).
fn extras(record: &DatasetRecord) -> Vec<Extra<'_>> {
    use std::borrow::Cow::{Borrowed, Owned};
    let c = &record.content;
    let joined = |v: &[String]| Some(v.join(",")).filter(|s| !s.is_empty()).map(Owned);
    let out: Vec<(&'static str, Option<std::borrow::Cow<'_, str>>)> = vec![
        ("access_rights", c.access_right.as_deref().map(Borrowed)),
        ("conforms_to", joined(&c.conforms_to)),
        (
            "contact_email",
            c.contact_point
                .as_ref()
                .and_then(|p| p.email.as_deref())
                .map(Borrowed),
        ),
        (
            "contact_name",
            c.contact_point.as_ref().map(|p| Borrowed(p.name.as_str())),
        ),
        ("data_class", c.data_class.as_deref().map(Borrowed)),
        ("frequency", c.frequency.as_deref().map(Borrowed)),
        ("issued", c.issued.map(|d| Owned(d.to_string()))),
        ("language", joined(&c.languages)),
        ("modified", c.modified.map(|d| Owned(d.to_string()))),
        ("notes_en", c.description.en.as_deref().map(Borrowed)),
        ("publisher_code", Some(Borrowed(c.publisher.as_str()))),
        ("revision", Some(Owned(record.revision.to_string()))),
        ("spatial_codes", joined(&c.spatial)),
        (
            "temporal_end",
            c.temporal
                .as_ref()
                .and_then(|t| t.end)
                .map(|d| Owned(d.to_string())),
        ),
        (
            "temporal_start",
            c.temporal
                .as_ref()
                .and_then(|t| t.start)
                .map(|d| Owned(d.to_string())),
        ),
        ("title_en", c.title.en.as_deref().map(Borrowed)),
        ("uri", Some(Borrowed(record.uri.as_str()))),
    ];
    out.into_iter()
        .filter_map(|(key, value)| value.map(|value| Extra { key, value }))
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_tag_id_is_a_stable_uuid() {
        let id = super::tag_id("môi trường");
        assert_eq!(id.len(), 36);
        assert_eq!(id, super::tag_id("môi trường"));
        assert_ne!(id, super::tag_id("moi truong"));
        assert_eq!(&id[14..15], "8");
    }
}
