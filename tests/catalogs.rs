//! Shared catalogs: official totals, the 2025 reorganisation, lookups as of a date, successor
//! resolution, tone-insensitive search and catalog versions, on SQLite and PostgreSQL.

mod common;

use common::{repo, Hub};
use lgsp_hub::catalog::{self, query};
use lgsp_hub::store::Store;
use polars::prelude::*;
use std::collections::BTreeMap;

async fn loaded(hub: &Hub) -> (Store, lgsp_hub::objects::Objects) {
    let store = Store::connect(&hub.store_url).await.unwrap();
    store.migrate().await.unwrap();
    let objects = lgsp_hub::objects::open(hub.objects().to_str().unwrap()).unwrap();
    catalog::load_all(&store, &objects, &repo().join("catalogs")).await.unwrap();
    (store, objects)
}

async fn count(store: &Store, id: &str, date: &str) -> usize {
    store.catalog_items_as_of(id, date, None).await.unwrap().len()
}

#[tokio::test(flavor = "multi_thread")]
async fn administrative_units_match_the_official_totals_before_and_after_the_reform() {
    for hub in Hub::all() {
        let (store, _) = loaded(&hub).await;
        assert_eq!(count(&store, "provinces", "2025-06-30").await, 63, "[{}]", hub.kind());
        assert_eq!(count(&store, "districts", "2025-06-30").await, 696);
        assert_eq!(count(&store, "communes", "2025-06-30").await, 10_035);
        assert_eq!(count(&store, "provinces", "2025-07-01").await, 34);
        assert_eq!(count(&store, "districts", "2025-07-01").await, 0);
        assert_eq!(count(&store, "communes", "2025-07-01").await, 3_321);
        assert_eq!(count(&store, "ethnic_groups_2008", "2026-01-01").await, 54);
        assert_eq!(count(&store, "ethnic_groups_1979", "2026-01-01").await, 54);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_quang_nam_commune_resolves_into_da_nang() {
    let hub = Hub::sqlite();
    let (store, _) = loaded(&hub).await;
    let quang_nam = store.catalog_items_as_of("communes", "2025-06-30", Some("49")).await.unwrap();
    assert_eq!(quang_nam.len(), 233);
    for old in &quang_nam {
        let now = query::resolve(&store, "communes", &old.code, Some("2025-06-30"), "2025-07-01").await.unwrap();
        assert!(!now.is_empty(), "{} {} has no successor", old.code, old.name);
        for c in now {
            let l = query::lookup(&store, "communes", &c.code, "2025-07-01").await.unwrap();
            assert_eq!(l.item.unwrap().parent_code.as_deref(), Some("48"), "{} → {}", old.code, c.code);
        }
    }
    let province = query::resolve(&store, "provinces", "49", None, "2025-07-01").await.unwrap();
    assert_eq!(province.iter().map(|c| c.code.as_str()).collect::<Vec<_>>(), vec!["48"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_code_answers_differently_on_each_side_of_2025_07_01() {
    for hub in Hub::all() {
        let (store, _) = loaded(&hub).await;
        let before = query::lookup(&store, "communes", "00004", "2025-06-30").await.unwrap();
        let after = query::lookup(&store, "communes", "00004", "2025-07-01").await.unwrap();
        assert_eq!((before.status.as_str(), after.status.as_str()), ("valid", "valid"));
        assert_eq!(before.item.unwrap().name, "Phường Trúc Bạch");
        assert_eq!(after.item.unwrap().name, "Phường Ba Đình");
        let retired = query::lookup(&store, "communes", "00001", "2025-07-01").await.unwrap();
        assert_eq!(retired.status, "retired", "{}", retired.message);
        assert_eq!(retired.retired_on.as_deref(), Some("2025-07-01"));
        assert!(!retired.successors.is_empty());
        assert!(retired.message.contains("succeeded by"), "{}", retired.message);
        let unknown = query::lookup(&store, "communes", "99999", "2025-07-01").await.unwrap();
        assert_eq!(unknown.status, "unknown");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_split_commune_resolves_to_several_candidates() {
    let hub = Hub::sqlite();
    let (store, _) = loaded(&hub).await;
    let mut by_code: BTreeMap<String, usize> = BTreeMap::new();
    for s in store.catalog_all_successors("communes").await.unwrap() {
        *by_code.entry(s.code).or_default() += 1;
    }
    let (split, n) = by_code.into_iter().find(|(_, n)| *n >= 2).expect("a split commune");
    let candidates = query::resolve(&store, "communes", &split, Some("2025-06-30"), "2025-07-01").await.unwrap();
    assert_eq!(candidates.len(), n, "{split}: {candidates:?}");
    assert!(candidates.iter().any(|c| c.merge_type == "partial"), "{candidates:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn search_ignores_diacritics_case_and_tone_placement() {
    for hub in Hub::all() {
        let (store, _) = loaded(&hub).await;
        let mut results = Vec::new();
        for q in ["hoa vang", "Hoà Vang", "Hòa Vang", "HÒA  VANG"] {
            let found: Vec<String> = query::search(&store, "districts", q, "2025-06-30", 50).await.unwrap().into_iter().map(|i| i.code).collect();
            results.push(found);
        }
        assert!(!results[0].is_empty(), "Huyện Hòa Vang is found");
        assert!(results.iter().all(|r| *r == results[0]), "{results:?}");
        let thuy: Vec<_> = query::search(&store, "communes", "thuy", "2025-07-01", 500).await.unwrap();
        let thuy_tone: Vec<_> = query::search(&store, "communes", "Thuỷ", "2025-07-01", 500).await.unwrap();
        assert_eq!(thuy, thuy_tone);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn loading_a_modified_catalog_file_yields_the_exact_diff() {
    let hub = Hub::sqlite();
    let store = Store::connect(&hub.store_url).await.unwrap();
    store.migrate().await.unwrap();
    let objects = lgsp_hub::objects::open(hub.objects().to_str().unwrap()).unwrap();
    let dir = hub.dir.path().join("cat");
    std::fs::create_dir_all(&dir).unwrap();
    let spec = "id = \"blood_groups\"\nname_vi = \"Nhóm máu\"\ncode_format = \"^[0-9]$\"\n[[sources]]\nfile = \"b.csv\"\ncode = \"code\"\nname = \"name\"\n";
    std::fs::write(dir.join("blood_groups.toml"), spec).unwrap();
    std::fs::write(dir.join("b.csv"), "code,name\n1,Nhóm A\n2,Nhóm B\n3,Nhóm AB\n").unwrap();
    let v1 = catalog::load_file(&store, &objects, &dir.join("blood_groups.toml")).await.unwrap();
    assert_eq!((v1.version, v1.added, v1.changed, v1.retired), (1, 3, 0, 0));
    let again = catalog::load_file(&store, &objects, &dir.join("blood_groups.toml")).await.unwrap();
    assert_eq!((again.status.as_str(), again.version), ("unchanged", 1));
    std::fs::write(dir.join("b.csv"), "code,name\n1,Nhóm A\n2,Nhóm B (B+)\n4,Nhóm O\n").unwrap();
    let v2 = catalog::load_file(&store, &objects, &dir.join("blood_groups.toml")).await.unwrap();
    assert_eq!((v2.version, v2.added, v2.changed, v2.retired), (2, 1, 1, 1));
    let changes = std::fs::File::open(hub.objects().join("catalogs/blood_groups/v2/changes.parquet")).unwrap();
    let df = ParquetReader::new(changes).finish().unwrap();
    let rows: Vec<(String, String)> = df.column("code").unwrap().str().unwrap().iter().flatten()
        .zip(df.column("_change_type").unwrap().str().unwrap().iter().flatten())
        .map(|(c, t)| (c.to_string(), t.to_string()))
        .collect();
    let expected = [("4", "insert"), ("2", "update_preimage"), ("2", "update_postimage"), ("3", "delete")];
    assert_eq!(rows, expected.map(|(c, t)| (c.to_string(), t.to_string())).to_vec());
    std::fs::write(dir.join("b.csv"), "code,name\n1,Nhóm A\nX,Sai\n").unwrap();
    let err = catalog::load_file(&store, &objects, &dir.join("blood_groups.toml")).await.unwrap_err().to_string();
    assert!(err.contains("b.csv line 3") && err.contains("'X'"), "{err}");
}
