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
    for hub in Hub::all() {
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
    for hub in Hub::all() {
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
}

#[tokio::test(flavor = "multi_thread")]
async fn search_ignores_diacritics_case_and_tone_placement() {
    for hub in Hub::all() {
        let (store, _) = loaded(&hub).await;
        let mut results = Vec::new();
        for q in ["hoa vang", "Hoà Vang", "Hòa Vang", "HÒA  VANG"] {
            let found: Vec<String> = query::search(&store, "districts", q, "2025-06-30", 50)
                .await
                .unwrap()
                .into_iter()
                .map(|i| i.code)
                .collect();
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
    for hub in Hub::all() {
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
        let rows: Vec<(String, String)> = df
            .column("code")
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .flatten()
            .zip(df.column("_change_type").unwrap().str().unwrap().iter().flatten())
            .map(|(c, t)| (c.to_string(), t.to_string()))
            .collect();
        let expected = [("4", "insert"), ("2", "update_preimage"), ("2", "update_postimage"), ("3", "delete")];
        assert_eq!(rows, expected.map(|(c, t)| (c.to_string(), t.to_string())).to_vec());
        std::fs::write(dir.join("b.csv"), "code,name\n1,Nhóm A\nX,Sai\n").unwrap();
        let err = catalog::load_file(&store, &objects, &dir.join("blood_groups.toml")).await.unwrap_err().to_string();
        assert!(err.contains("b.csv line 3") && err.contains("'X'"), "{err}");
    }
}

#[test]
fn a_pipeline_translates_old_codes_and_quarantines_unknown_and_split_ones() {
    for hub in Hub::all() {
        hub.ok(&["init"]);
        let dir = hub.dir.path();
        std::fs::write(
            dir.join("units.toml"),
            "id = \"units\"\nowner = \"000.00.12.H48\"\ndataset = \"units\"\nkey = [\"id\"]\n\
             [gates]\nmax_quarantine_fraction = 1.0\n\
             [source]\nkind = \"csv\"\npath = \"units.csv\"\n\
             [[fields]]\nname = \"id\"\n\
             [[fields]]\nname = \"ma_xa\"\nnormalize = [{ pad_left = 5 }, { successor = \"communes\" }]\n\
             rules = [{ kind = \"in_catalog\", catalog = \"communes\" }]\n\
             [[fields]]\nname = \"ma_xa_goc\"\nrules = [{ kind = \"in_catalog\", catalog = \"communes\", as_of = \"ngay\" }]\n\
             [[fields]]\nname = \"ngay\"\ntype = \"date\"\n",
        )
        .unwrap();
        let csv = "id,ma_xa,ma_xa_goc,ngay\n\
                   a,1,00001,01/06/2025\n\
                   b,00007,00007,01/06/2025\n\
                   c,99999,00004,01/06/2025\n\
                   d,00004,00004,01/08/2025\n\
                   e,00097,11948,01/01/2020\n";
        std::fs::write(dir.join("units.csv"), csv).unwrap();
        let toml = dir.join("units.toml");
        let out =
            hub.ok(&["run", toml.to_str().unwrap(), "--input", dir.join("units.csv").to_str().unwrap(), "--json"]);
        let run: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
        let snap = hub.read_parquet(run["snapshot"].as_str().unwrap());
        let ids: Vec<&str> = snap.column("id").unwrap().str().unwrap().iter().flatten().collect();
        let codes: Vec<&str> = snap.column("ma_xa").unwrap().str().unwrap().iter().flatten().collect();
        assert_eq!(ids, vec!["a", "d"], "[{}]", hub.kind());
        assert_eq!(codes, vec!["00097", "00004"], "00001 (Phúc Xá) became 00097");
        let q = hub.read_parquet(run["quarantine"].as_str().unwrap());
        let reasons: Vec<&str> = q.column("_reasons").unwrap().str().unwrap().iter().flatten().collect();
        assert!(
            reasons[0].contains("\"rule\":\"successor\"")
                && reasons[0].contains("00008")
                && reasons[0].contains("00025"),
            "{}",
            reasons[0]
        );
        assert!(reasons[1].contains("\"rule\":\"in_catalog\"") && reasons[1].contains("99999"), "{}", reasons[1]);
        assert!(
            reasons[2].contains("\"field\":\"ma_xa_goc\"") && reasons[2].contains("on 2020-01-01"),
            "{}",
            reasons[2]
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_written_place_matches_its_commune_code_with_a_confidence() {
    let hub = Hub::sqlite();
    let (store, _) = loaded(&hub).await;
    let text = "Xã Hòa Tiến, Huyện Hòa Vang, Đà Nẵng";
    let now = catalog::matcher::match_name(&store, "communes", text, "2025-07-01").await.unwrap();
    assert_eq!((now.code.as_deref(), now.confidence), (Some("20332"), 1.0));
    let before = catalog::matcher::match_name(&store, "communes", text, "2025-06-30").await.unwrap();
    assert_eq!(before.code.as_deref(), Some("20326"), "the district and province pick the Đà Nẵng one");
    let bare = catalog::matcher::match_name(&store, "communes", "xa hoa tien", "2025-06-30").await.unwrap();
    assert!(bare.code.is_none() && bare.candidates.len() >= 4 && bare.confidence < 0.5, "{bare:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn continuing_units_resolve_to_themselves_and_ia_mo_keeps_its_code() {
    let hub = Hub::sqlite();
    let (store, _) = loaded(&hub).await;
    let hanoi = query::resolve(&store, "provinces", "01", Some("2025-06-30"), "2025-07-01").await.unwrap();
    assert_eq!(hanoi.iter().map(|c| c.code.as_str()).collect::<Vec<_>>(), vec!["01"]);
    let ia_mo = query::resolve(&store, "communes", "23938", Some("2025-06-30"), "2025-07-01").await.unwrap();
    assert_eq!(ia_mo.iter().map(|c| c.code.as_str()).collect::<Vec<_>>(), vec!["23938"]);
}

#[test]
fn catalog_commands_answer_through_the_binary() {
    let hub = Hub::sqlite();
    hub.ok(&["init"]);
    let before = hub.ok(&["catalog", "lookup", "communes", "00004", "--as-of", "2025-06-30"]);
    assert!(before.contains("Phường Trúc Bạch is valid on 2025-06-30"), "{before}");
    let after = hub.ok(&["catalog", "lookup", "communes", "00001", "--as-of", "2025-07-01"]);
    assert!(after.contains("retired on 2025-07-01, succeeded by 00097"), "{after}");
    let found = hub.ok(&["catalog", "search", "districts", "Hoà Vang", "--as-of", "2025-06-30"]);
    assert!(found.starts_with("497\tHuyện Hòa Vang"), "{found}");
    let unknown = hub.lgsp(&["catalog", "lookup", "communes", "99999"]);
    assert_eq!(unknown.status.code(), Some(3));
    let err = hub.fails(&["catalog", "lookup", "nope", "1"]);
    assert!(err.contains("catalog 'nope' is not loaded"), "{err}");
    let list = hub.ok(&["catalog", "list"]);
    assert_eq!(list.lines().count(), 9, "{list}");
}

#[test]
fn a_pipeline_turns_written_places_into_codes_or_quarantines_them() {
    let hub = Hub::sqlite();
    hub.ok(&["init"]);
    let dir = hub.dir.path();
    std::fs::write(
        dir.join("places.toml"),
        "id = \"places\"\nowner = \"000.00.12.H48\"\ndataset = \"places\"\nkey = [\"id\"]\n\
         [gates]\nmax_quarantine_fraction = 1.0\n\
         [source]\nkind = \"csv\"\npath = \"places.csv\"\n[[fields]]\nname = \"id\"\n\
         [[fields]]\nname = \"dia_ban\"\nnormalize = [{ name_to_code = { catalog = \"communes\", min_confidence = 0.9 } }]\n",
    )
    .unwrap();
    std::fs::write(dir.join("places.csv"), "id,dia_ban\na,\"Xã Hòa Tiến, Huyện Hòa Vang, Đà Nẵng\"\nb,Phường 1\n")
        .unwrap();
    let toml = dir.join("places.toml");
    let out = hub.ok(&["run", toml.to_str().unwrap(), "--input", dir.join("places.csv").to_str().unwrap(), "--json"]);
    let run: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let snap = hub.read_parquet(run["snapshot"].as_str().unwrap());
    let codes: Vec<&str> = snap.column("dia_ban").unwrap().str().unwrap().iter().flatten().collect();
    assert_eq!(codes, vec!["20332"]);
    let q = hub.read_parquet(run["quarantine"].as_str().unwrap());
    let reason = q.column("_reasons").unwrap().str().unwrap().get(0).unwrap().to_string();
    assert!(reason.contains("\"rule\":\"name_to_code\"") && reason.contains("candidates"), "{reason}");
}
