//! Catalog name search: per-query latency over all communes (both periods), on SQLite.
//! Run: `cargo bench --bench catalog_search`.

use std::time::Instant;

fn main() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = lgsp_hub::store::Store::connect(&format!("sqlite://{}", dir.path().join("hub.db").display())).await.expect("store");
        store.migrate().await.expect("migrate");
        let objects = lgsp_hub::objects::open(dir.path().join("store").to_str().unwrap_or("store")).expect("objects");
        let catalogs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("catalogs");
        let t = Instant::now();
        lgsp_hub::catalog::load_all(&store, &objects, &catalogs).await.expect("load");
        println!("loaded every catalog in {:.2} s", t.elapsed().as_secs_f64());
        let queries = ["hoa vang", "Hòa Tiến", "Hoà Tiến", "phuong ba dinh", "Thuỷ", "nguyen trai", "xa tan", "Đắk", "ia mo", "son tra", "an", "phu"];
        for as_of in ["2025-06-30", "2026-01-01"] {
            let mut times = Vec::new();
            let mut hits = 0;
            for round in 0..50 {
                for q in queries {
                    let t = Instant::now();
                    let r = lgsp_hub::catalog::query::search(&store, "communes", q, as_of, 20).await.expect("search");
                    times.push(t.elapsed().as_secs_f64() * 1000.0);
                    if round == 0 {
                        hits += r.len();
                    }
                }
            }
            times.sort_by(|a, b| a.total_cmp(b));
            let mean = times.iter().sum::<f64>() / times.len() as f64;
            let p99 = times[times.len() * 99 / 100];
            println!("communes as of {as_of}: {} queries, mean {mean:.2} ms, p99 {p99:.2} ms, max {:.2} ms ({hits} hits in one round)", times.len(), times[times.len() - 1]);
        }
    });
}
