//! The harvester against the mock portal: a sync under injected faults converges without duplicates, and the next runs
//! write only what changed (moved here from the harvester's own unit tests, so the harvester does not depend on the
//! portal, and through it on axum, even for its tests).
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use harvester::client::{Http, RetryPolicy};
use harvester::package::{Draft, Organization, Package, project};
use harvester::source::{Batch, Listed, Source, SourceKind};
use harvester::state::StateStore;
use harvester::sync::run;
use harvester::target::{CkanTarget, Target};
use harvester::{HarvestError, Options};
use portal::faults::FaultConfig;
use portal::{PortalConfig, spawn};
use serde_json::json;

/// A source held in memory, listed in full.
#[derive(Default)]
struct Memory(Mutex<BTreeMap<String, Package>>);

impl Source for Memory {
    fn kind(&self) -> SourceKind {
        SourceKind::Ckan
    }

    async fn batch(&self, _cursor: Option<&str>) -> Result<Batch, HarvestError> {
        let records = self
            .0
            .lock()
            .unwrap()
            .iter()
            .map(|(id, p)| (id.clone(), Listed::Present(Box::new(p.clone()))))
            .collect();
        Ok(Batch {
            records,
            complete: true,
            cursor: None,
            transient_cursor: false,
            more: false,
            warnings: Vec::new(),
        })
    }

    async fn fetch(&self, id: &str) -> Result<Option<Package>, HarvestError> {
        Ok(self.0.lock().unwrap().get(id).cloned())
    }
}

fn package(i: usize, title: &str) -> Package {
    Draft {
        name: format!("bo-du-lieu-{i:03}"),
        title: Some(title.to_owned()),
        notes: Some(format!("Mô tả {i}")),
        tags: vec!["dữ liệu mở".into()],
        extras: BTreeMap::from([("uri".to_owned(), format!("https://d.gov.vn/dataset/{i}"))]),
        resources: vec![serde_json::Map::from_iter([
            ("url".to_owned(), json!(format!("https://d.gov.vn/{i}.csv"))),
            ("format".to_owned(), json!("CSV")),
        ])],
        organization: Some(Organization {
            name: format!("g{:02}", i % 3),
            title: format!("Cơ quan {}", i % 3),
        }),
        ..Draft::default()
    }
    .into_package()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn converges_under_faults_without_duplicates_and_then_writes_only_changes() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = PortalConfig::new(
        "127.0.0.1:0".parse().unwrap(),
        dir.path().join("portal"),
        "t0k",
    );
    config.faults = FaultConfig {
        rate: 0.3,
        stall: Duration::from_millis(1500),
        retry_after: 0,
        seed: Some(11),
        ..FaultConfig::default()
    };
    let (addr, _stop) = spawn(config).await.unwrap();
    let base = format!("http://{addr}");
    let policy = RetryPolicy {
        base: Duration::from_millis(10),
        cap: Duration::from_millis(200),
        max_attempts: 30,
        ..RetryPolicy::default()
    };
    let http = Arc::new(Http::new(Duration::from_millis(500), policy).unwrap());
    let target = CkanTarget::new(http.clone(), &base, Some("t0k".into()));
    let source = Memory::default();
    for i in 0..60 {
        source
            .0
            .lock()
            .unwrap()
            .insert(format!("r{i:03}"), package(i, &format!("Bộ dữ liệu {i}")));
    }
    let mut options = Options::new("memory:", &base, "t0k", dir.path().join("state"));
    options.concurrency = 6;
    let state = StateStore::open(&options.state_dir, "memory:", &base)
        .await
        .unwrap();

    let first = run(&source, &target, &state, &options, &http)
        .await
        .unwrap();
    assert!(first.is_clean(), "{}", first.summary());
    assert_eq!(
        (first.created, first.package_writes),
        (60, 60),
        "{}",
        first.summary()
    );
    assert_eq!(first.organizations_created, 3, "{}", first.summary());
    assert!(
        first.retries > 0,
        "faults were injected: {}",
        first.summary()
    );

    let second = run(&source, &target, &state, &options, &http)
        .await
        .unwrap();
    assert!(second.is_clean(), "{}", second.summary());
    assert_eq!(
        (second.skipped, second.writes),
        (60, 0),
        "{}",
        second.summary()
    );

    {
        let mut records = source.0.lock().unwrap();
        for i in 0..5 {
            records.insert(
                format!("r{i:03}"),
                package(i, &format!("Bộ dữ liệu {i} (sửa)")),
            );
            records.remove(&format!("r{:03}", 10 + i));
            records.insert(format!("n{i:03}"), package(100 + i, "Mới"));
        }
    }
    let third = run(&source, &target, &state, &options, &http)
        .await
        .unwrap();
    assert!(third.is_clean(), "{}", third.summary());
    assert_eq!(
        (
            third.created,
            third.updated,
            third.deleted,
            third.skipped,
            third.writes
        ),
        (5, 5, 5, 50, 15),
        "{}",
        third.summary()
    );

    // The portal holds exactly the source: every package equal to its record, nothing else active, nothing twice.
    let plain = CkanTarget::new(
        Arc::new(
            Http::new(
                Duration::from_millis(300),
                RetryPolicy {
                    max_attempts: 50,
                    base: Duration::from_millis(5),
                    ..RetryPolicy::default()
                },
            )
            .unwrap(),
        ),
        &base,
        Some("t0k".into()),
    );
    let all = plain
        .call(
            "package_search",
            &json!({"rows": 1000, "include_deleted": true}),
            true,
        )
        .await
        .unwrap();
    let records = source.0.lock().unwrap().clone();
    assert_eq!(all["count"], 65, "60 live + 5 deleted, no duplicates");
    for (_, p) in records {
        let shown = plain.show(p.name()).await.unwrap().unwrap();
        assert_eq!(shown["state"], "active");
        assert_eq!(project(&shown), p.canonical(), "{}", p.name());
    }
    let active = plain.call("package_list", &json!({}), true).await.unwrap();
    assert_eq!(active.as_array().unwrap().len(), 60);

    // A record that comes back gets its deleted package back (the name is still taken on a CKAN portal).
    source
        .0
        .lock()
        .unwrap()
        .insert("r010".into(), package(10, "Bộ dữ liệu 10 (trở lại)"));
    let fourth = run(&source, &target, &state, &options, &http)
        .await
        .unwrap();
    assert!(fourth.is_clean(), "{}", fourth.summary());
    assert_eq!(
        (fourth.created, fourth.writes),
        (1, 1),
        "{}",
        fourth.summary()
    );
    let back = plain.show("bo-du-lieu-010").await.unwrap().unwrap();
    assert_eq!(
        (back["state"].as_str(), back["title"].as_str()),
        (Some("active"), Some("Bộ dữ liệu 10 (trở lại)"))
    );
}
