//! Search engines side by side, engine level: our tantivy index vs PostgreSQL full-text search (tsvector + GIN, with
//! `unaccent`) vs SQLite FTS5 (`unicode61 remove_diacritics 2`), on the same datasets, the same queries and the same
//! seven facet counts over all matches, top 10 by relevance.
//!
//! The datasets come from a generated store (`opendata generate --datasets N --data-dir D`), read through the
//! catalog; the text and facet values each engine gets are the index's own (`catalog::search::text_of` and
//! `facet_values`), so the three answer the same question. PostgreSQL is a throwaway server this bench starts.
//!
//! usage: BENCH_DATA=/tmp/opendata-bench-10000 cargo bench --bench search_engines
//! (criterion prints its estimates; the Markdown table at the end has p50/p99 per engine and query, the ratio to
//! tantivy, and the hit counts, which differ where tantivy is typo-tolerant).
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use criterion::Criterion;
use sqlx::{Connection, Row};

use catalog::search::{SearchIndex, SearchQuery, facet_values, text_of};
use catalog::store::DatasetQuery;

#[allow(dead_code, unused_imports, unused_macros)]
#[path = "../tests/e2e/support.rs"]
mod support;

/// One dataset as every engine gets it.
struct Doc {
    id: String,
    titles: String,
    body: String,
    facets: Vec<(&'static str, String)>,
}

/// A query: free text (maybe none) and facet filters.
#[derive(Clone)]
struct Q {
    label: &'static str,
    text: Option<&'static str>,
    filters: Vec<(&'static str, &'static str)>,
}

/// What an engine answers: total, top ids, facet counts.
#[derive(Debug, Default)]
struct Answer {
    total: u64,
    top: Vec<String>,
    facets: BTreeMap<(String, String), u64>,
}

const FACETS: &[&str] = &[
    "theme",
    "publisher",
    "format",
    "licence",
    "province",
    "accessRight",
    "year",
];

/// `đ` is a letter of its own, not a diacritic: neither unaccent's default rules in every version nor FTS5's
/// remove_diacritics fold it, so the other engines get it folded by hand (as our analyser does).
fn dd(s: &str) -> String {
    s.replace('đ', "d").replace('Đ', "D")
}

async fn load_docs(data: &std::path::Path) -> Vec<Doc> {
    let config = opendata::app::Config::new(data.to_path_buf());
    let db = opendata::app::open_database(&config)
        .await
        .expect("open the generated store");
    let registry = registry::Registry::new(db.clone(), &config.base_uri);
    let catalog = catalog::Catalog::new(db, registry);
    let mut cache = catalog::indexer::ExtrasCache::for_many(&catalog)
        .await
        .expect("link states");
    let mut cursor = None;
    let mut docs = Vec::new();
    loop {
        let page = catalog
            .list(&DatasetQuery {
                public: true,
                cursor: cursor.clone(),
                limit: 1000,
                ..Default::default()
            })
            .await
            .expect("list");
        for record in page.items {
            let extras = catalog::indexer::extras(&catalog, &record, &mut cache).await;
            let (titles, body) = text_of(&record);
            docs.push(Doc {
                id: record.id.clone(),
                titles: titles.join(" "),
                body: body.join(" "),
                facets: facet_values(&record, &extras),
            });
        }
        match page.next {
            Some(n) => cursor = Some(n),
            None => break,
        }
    }
    docs
}

// ---- tantivy (ours) ----

async fn tantivy_index(data: &std::path::Path, dir: &std::path::Path) -> SearchIndex {
    let config = opendata::app::Config::new(data.to_path_buf());
    let db = opendata::app::open_database(&config).await.unwrap();
    let registry = registry::Registry::new(db.clone(), &config.base_uri);
    let catalog = catalog::Catalog::new(db, registry);
    let index = SearchIndex::open(dir).unwrap();
    catalog::indexer::rebuild(&catalog, &index).await.unwrap();
    index
}

fn tantivy_search(index: &SearchIndex, q: &Q) -> Answer {
    let r = index
        .search(&SearchQuery {
            q: q.text.map(str::to_owned),
            filters: q
                .filters
                .iter()
                .map(|(f, v)| (f.to_string(), v.to_string()))
                .collect(),
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    let mut facets = BTreeMap::new();
    for (name, counts) in r.facets {
        for c in counts {
            facets.insert((name.clone(), c.value), c.count);
        }
    }
    Answer {
        total: r.total as u64,
        top: r.items.into_iter().map(|h| h.id).collect(),
        facets,
    }
}

// ---- SQLite FTS5 ----

async fn sqlite_load(path: &std::path::Path, docs: &[Doc]) -> sqlx::SqliteConnection {
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    for ddl in [
        "CREATE VIRTUAL TABLE fts USING fts5(titles, body, tokenize = 'unicode61 remove_diacritics 2')",
        "CREATE TABLE facets (doc INTEGER NOT NULL, facet TEXT NOT NULL, value TEXT NOT NULL)",
        "CREATE TABLE ids (doc INTEGER PRIMARY KEY, id TEXT NOT NULL)",
    ] {
        sqlx::query(ddl).execute(&mut conn).await.unwrap();
    }
    let mut tx = conn.begin().await.unwrap();
    for (i, d) in docs.iter().enumerate() {
        let rowid = i as i64 + 1;
        sqlx::query("INSERT INTO fts (rowid, titles, body) VALUES ($1, $2, $3)")
            .bind(rowid)
            .bind(dd(&d.titles))
            .bind(dd(&d.body))
            .execute(&mut *tx)
            .await
            .unwrap();
        sqlx::query("INSERT INTO ids (doc, id) VALUES ($1, $2)")
            .bind(rowid)
            .bind(&d.id)
            .execute(&mut *tx)
            .await
            .unwrap();
        for (f, v) in &d.facets {
            sqlx::query("INSERT INTO facets (doc, facet, value) VALUES ($1, $2, $3)")
                .bind(rowid)
                .bind(*f)
                .bind(v)
                .execute(&mut *tx)
                .await
                .unwrap();
        }
    }
    tx.commit().await.unwrap();
    sqlx::query("CREATE INDEX facets_fv ON facets (facet, value, doc)")
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query("CREATE INDEX facets_doc ON facets (doc)")
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query("ANALYZE").execute(&mut conn).await.unwrap();
    conn
}

/// The matching documents as a subquery over `facets`' filters and the FTS match.
fn sqlite_matches(q: &Q) -> (String, Vec<String>) {
    let mut binds = Vec::new();
    let mut wheres = Vec::new();
    if let Some(t) = q.text {
        // Every word, as FTS5 phrase strings (quotes escaped): an AND of the words, like ours.
        let expr = dd(t)
            .split_whitespace()
            .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
            .collect::<Vec<_>>()
            .join(" ");
        binds.push(expr);
        wheres.push(format!(
            "doc IN (SELECT rowid FROM fts WHERE fts MATCH ${})",
            binds.len()
        ));
    }
    let mut by_facet: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (f, v) in &q.filters {
        by_facet.entry(f).or_default().push(v);
    }
    for (f, values) in by_facet {
        binds.push(f.to_owned());
        let fpos = binds.len();
        let mut vs = Vec::new();
        for v in values {
            binds.push(v.to_owned());
            vs.push(format!("${}", binds.len()));
        }
        wheres.push(format!(
            "doc IN (SELECT doc FROM facets WHERE facet = ${fpos} AND value IN ({}))",
            vs.join(", ")
        ));
    }
    let cond = if wheres.is_empty() {
        "1".to_owned()
    } else {
        wheres.join(" AND ")
    };
    (format!("SELECT doc FROM ids WHERE {cond}"), binds)
}

async fn sqlite_search(conn: &mut sqlx::SqliteConnection, q: &Q) -> Answer {
    let (matches, binds) = sqlite_matches(q);
    let mut answer = Answer::default();
    let total_sql = format!("SELECT COUNT(*) FROM ({matches})");
    let mut query = sqlx::query(&total_sql);
    for b in &binds {
        query = query.bind(b);
    }
    answer.total = query.fetch_one(&mut *conn).await.unwrap().get::<i64, _>(0) as u64;
    let top_sql = if q.text.is_some() {
        // The text is always the first parameter.
        format!(
            "SELECT ids.id FROM fts JOIN ids ON ids.doc = fts.rowid WHERE fts MATCH $1 AND fts.rowid IN ({matches}) \
             ORDER BY bm25(fts, 2.0, 1.0) LIMIT 10"
        )
    } else {
        format!("SELECT ids.id FROM ids WHERE doc IN ({matches}) ORDER BY doc DESC LIMIT 10")
    };
    let mut query = sqlx::query(&top_sql);
    for b in &binds {
        query = query.bind(b);
    }
    answer.top = query
        .fetch_all(&mut *conn)
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<String, _>(0))
        .collect();
    let facet_sql = format!(
        "WITH m AS MATERIALIZED ({matches}) SELECT facet, value, COUNT(*) FROM facets JOIN m USING (doc) \
         GROUP BY facet, value"
    );
    let mut query = sqlx::query(&facet_sql);
    for b in &binds {
        query = query.bind(b);
    }
    for r in query.fetch_all(&mut *conn).await.unwrap() {
        answer
            .facets
            .insert((r.get(0), r.get(1)), r.get::<i64, _>(2) as u64);
    }
    answer
}

// ---- PostgreSQL ----

async fn pg_load(docs: &[Doc]) -> sqlx::PgConnection {
    let url = support::fresh_pg_database().await;
    let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
    for ddl in [
        "CREATE EXTENSION unaccent",
        "CREATE TABLE docs (doc INTEGER PRIMARY KEY, id TEXT NOT NULL, tsv TSVECTOR NOT NULL)",
        "CREATE TABLE facets (doc INTEGER NOT NULL, facet TEXT NOT NULL, value TEXT NOT NULL)",
    ] {
        sqlx::query(ddl).execute(&mut conn).await.unwrap();
    }
    for (chunk_no, chunk) in docs.chunks(2000).enumerate() {
        let base = chunk_no * 2000;
        let (mut ns, mut ids, mut titles, mut bodies) = (vec![], vec![], vec![], vec![]);
        let (mut fdocs, mut fnames, mut fvalues) = (vec![], vec![], vec![]);
        for (i, d) in chunk.iter().enumerate() {
            let n = (base + i + 1) as i32;
            ns.push(n);
            ids.push(d.id.clone());
            titles.push(dd(&d.titles));
            bodies.push(dd(&d.body));
            for (f, v) in &d.facets {
                fdocs.push(n);
                fnames.push(f.to_string());
                fvalues.push(v.clone());
            }
        }
        sqlx::query(
            "INSERT INTO docs (doc, id, tsv) SELECT n, id, \
               setweight(to_tsvector('simple', unaccent(t)), 'A') || setweight(to_tsvector('simple', unaccent(b)), 'B') \
             FROM UNNEST($1::int[], $2::text[], $3::text[], $4::text[]) AS u(n, id, t, b)",
        )
        .bind(&ns)
        .bind(&ids)
        .bind(&titles)
        .bind(&bodies)
        .execute(&mut conn)
        .await
        .unwrap();
        sqlx::query("INSERT INTO facets SELECT * FROM UNNEST($1::int[], $2::text[], $3::text[])")
            .bind(&fdocs)
            .bind(&fnames)
            .bind(&fvalues)
            .execute(&mut conn)
            .await
            .unwrap();
    }
    for ddl in [
        "CREATE INDEX docs_tsv ON docs USING GIN (tsv)",
        "CREATE INDEX facets_fv ON facets (facet, value, doc)",
        "CREATE INDEX facets_doc ON facets (doc)",
        "ANALYZE",
    ] {
        sqlx::query(ddl).execute(&mut conn).await.unwrap();
    }
    conn
}

fn pg_matches(q: &Q) -> (String, Vec<String>) {
    let mut binds = Vec::new();
    let mut wheres = Vec::new();
    if let Some(t) = q.text {
        binds.push(dd(t));
        wheres.push(format!(
            "tsv @@ plainto_tsquery('simple', unaccent(${}))",
            binds.len()
        ));
    }
    let mut by_facet: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (f, v) in &q.filters {
        by_facet.entry(f).or_default().push(v);
    }
    for (f, values) in by_facet {
        binds.push(f.to_owned());
        let fpos = binds.len();
        let mut vs = Vec::new();
        for v in values {
            binds.push(v.to_owned());
            vs.push(format!("${}", binds.len()));
        }
        wheres.push(format!(
            "doc IN (SELECT doc FROM facets WHERE facet = ${fpos} AND value IN ({}))",
            vs.join(", ")
        ));
    }
    let cond = if wheres.is_empty() {
        "TRUE".to_owned()
    } else {
        wheres.join(" AND ")
    };
    (cond, binds)
}

async fn pg_search(conn: &mut sqlx::PgConnection, q: &Q) -> Answer {
    let (cond, binds) = pg_matches(q);
    let mut answer = Answer::default();
    let sql = format!("SELECT COUNT(*) FROM docs WHERE {cond}");
    let mut query = sqlx::query(&sql);
    for b in &binds {
        query = query.bind(b);
    }
    answer.total = query.fetch_one(&mut *conn).await.unwrap().get::<i64, _>(0) as u64;
    let sql = if q.text.is_some() {
        format!(
            "SELECT id FROM docs WHERE {cond} \
             ORDER BY ts_rank(tsv, plainto_tsquery('simple', unaccent($1))) DESC LIMIT 10"
        )
    } else {
        format!("SELECT id FROM docs WHERE {cond} ORDER BY doc DESC LIMIT 10")
    };
    let mut query = sqlx::query(&sql);
    for b in &binds {
        query = query.bind(b);
    }
    answer.top = query
        .fetch_all(&mut *conn)
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<String, _>(0))
        .collect();
    let sql = format!(
        "WITH m AS MATERIALIZED (SELECT doc FROM docs WHERE {cond}) \
         SELECT facet, value, COUNT(*) FROM facets JOIN m USING (doc) GROUP BY facet, value"
    );
    let mut query = sqlx::query(&sql);
    for b in &binds {
        query = query.bind(b);
    }
    for r in query.fetch_all(&mut *conn).await.unwrap() {
        answer
            .facets
            .insert((r.get(0), r.get(1)), r.get::<i64, _>(2) as u64);
    }
    answer
}

// ---- the run ----

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let data = std::path::PathBuf::from(
        std::env::var("BENCH_DATA").unwrap_or_else(|_| "/tmp/opendata-bench-10000".into()),
    );
    assert!(
        data.join("opendata.db").exists(),
        "{}: generate it first: opendata generate --datasets 10000 --data-dir {}",
        data.display(),
        data.display()
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let work = tempfile::tempdir().unwrap();
    let t = Instant::now();
    let docs = rt.block_on(load_docs(&data));
    eprintln!(
        "{} datasets read in {:.1} s",
        docs.len(),
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let tantivy = rt.block_on(tantivy_index(&data, &work.path().join("tantivy")));
    let tantivy_build = t.elapsed();
    let t = Instant::now();
    let mut sqlite = rt.block_on(sqlite_load(&work.path().join("fts5.db"), &docs));
    let sqlite_build = t.elapsed();
    let t = Instant::now();
    let mut pg = rt.block_on(pg_load(&docs));
    let pg_build = t.elapsed();
    eprintln!(
        "built: tantivy {:.1} s, SQLite FTS5 {:.1} s, PostgreSQL {:.1} s",
        tantivy_build.as_secs_f64(),
        sqlite_build.as_secs_f64(),
        pg_build.as_secs_f64()
    );
    let queries = vec![
        Q {
            label: "text, no diacritics",
            text: Some("chat luong khong khi"),
            filters: vec![],
        },
        Q {
            label: "text, with diacritics",
            text: Some("chất lượng không khí"),
            filters: vec![],
        },
        Q {
            label: "text + facet",
            text: Some("du lieu"),
            filters: vec![("theme", "health")],
        },
        Q {
            label: "facets only",
            text: None,
            filters: vec![("theme", "health"), ("format", "CSV")],
        },
    ];
    let mut criterion = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    let mut rows = Vec::new();
    for q in &queries {
        let a_t = tantivy_search(&tantivy, q);
        let a_s = rt.block_on(sqlite_search(&mut sqlite, q));
        let a_p = rt.block_on(pg_search(&mut pg, q));
        let mut samples: BTreeMap<&str, Vec<Duration>> = BTreeMap::new();
        let mut group = criterion.benchmark_group(q.label);
        group.bench_function("tantivy", |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let t = Instant::now();
                    std::hint::black_box(tantivy_search(&tantivy, q));
                    let e = t.elapsed();
                    samples.entry("tantivy").or_default().push(e);
                    total += e;
                }
                total
            })
        });
        group.bench_function("sqlite-fts5", |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let t = Instant::now();
                    std::hint::black_box(rt.block_on(sqlite_search(&mut sqlite, q)));
                    let e = t.elapsed();
                    samples.entry("sqlite-fts5").or_default().push(e);
                    total += e;
                }
                total
            })
        });
        group.bench_function("postgres-fts", |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let t = Instant::now();
                    std::hint::black_box(rt.block_on(pg_search(&mut pg, q)));
                    let e = t.elapsed();
                    samples.entry("postgres-fts").or_default().push(e);
                    total += e;
                }
                total
            })
        });
        group.finish();
        let facet_agree = |a: &Answer| {
            let keys: Vec<_> = a_t
                .facets
                .keys()
                .filter(|(f, _)| FACETS.contains(&f.as_str()))
                .collect();
            keys.iter()
                .filter(|k| a.facets.get(**k) == a_t.facets.get(**k))
                .count()
                * 100
                / keys.len().max(1)
        };
        let p50_t = {
            let mut v = samples.get("tantivy").cloned().unwrap_or_default();
            v.sort();
            percentile(&v, 0.5)
        };
        for (engine, answer) in [
            ("tantivy", &a_t),
            ("sqlite-fts5", &a_s),
            ("postgres-fts", &a_p),
        ] {
            let mut v = samples.get(engine).cloned().unwrap_or_default();
            v.sort();
            let p50 = percentile(&v, 0.5);
            rows.push(format!(
                "| {} | {engine} | {} | {} | {:.1}× | {} | {}% | {} |",
                q.label,
                ms(p50),
                ms(percentile(&v, 0.99)),
                p50.as_secs_f64() / p50_t.as_secs_f64().max(1e-9),
                answer.total,
                facet_agree(answer),
                v.len()
            ));
        }
    }
    println!(
        "\n{} datasets (`{}`); built in: tantivy {:.1} s, SQLite FTS5 {:.1} s, PostgreSQL {:.1} s\n",
        docs.len(),
        data.display(),
        tantivy_build.as_secs_f64(),
        sqlite_build.as_secs_f64(),
        pg_build.as_secs_f64()
    );
    println!(
        "| query | engine | p50 | p99 | p50 ÷ tantivy's | matches | facet counts equal to tantivy's | samples |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for r in rows {
        println!("{r}");
    }
}
