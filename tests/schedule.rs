//! The scheduler on a seconds-level cron: alone, as two instances on one PostgreSQL (each fire
//! time run once; a dead lease holder's lease expires and the other runs), and two hub
//! instances sharing PostgreSQL and an S3-compatible store.

mod common;

use common::{repo, Child, Hub};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A pipelines folder holding `units` on `cron`, reading the newest CSV of `drop/`.
fn pipelines(hub: &Hub, cron: &str) -> std::path::PathBuf {
    let dir = hub.dir.path().join("pipelines");
    let drop = hub.dir.path().join("drop");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::create_dir_all(&drop).unwrap();
    std::fs::write(drop.join("a.csv"), "ma,ten\n01,Một\n02,Hai\n").unwrap();
    let text = format!(
        "id = \"units\"\nowner = \"000.00.00.H48\"\ndataset = \"units\"\nkey = [\"ma\"]\nschedule = \"{cron}\"\n\n[source]\nkind = \"csv\"\npath = \"{}/*.csv\"\n\n[[fields]]\nname = \"ma\"\nrequired = true\n\n[[fields]]\nname = \"ten\"\n",
        drop.display()
    );
    std::fs::write(dir.join("units.toml"), text).unwrap();
    dir
}

fn spawn(hub: &Hub, args: &[&str], env: &[(&str, String)]) -> Child {
    Child(
        Command::new(env!("CARGO_BIN_EXE_lgsp"))
            .args(args)
            .current_dir(repo())
            .env("LGSP_STORE_URL", &hub.store_url)
            .env("LGSP_AUDIT_KEY_FILE", hub.audit_key_file())
            .env("LGSP_OBJECT_STORE_URL", hub.objects())
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("lgsp"),
    )
}

fn scheduled_runs(hub: &Hub) -> usize {
    hub.query("SELECT COUNT(*) FROM runs WHERE trigger_kind = 'schedule'").parse().unwrap_or(0)
}

fn wait_for(what: &str, timeout: Duration, mut ok: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ok() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_pipeline_runs_on_a_seconds_level_cron() {
    let hub = Hub::sqlite();
    hub.ok(&["init"]);
    let dir = pipelines(&hub, "*/2 * * * * *");
    let _sched = spawn(&hub, &["scheduler"], &[("LGSP_PIPELINES_DIR", dir.display().to_string())]);
    wait_for("two scheduled runs", Duration::from_secs(15), || scheduled_runs(&hub) >= 2);
    let statuses = hub.query("SELECT status FROM runs WHERE trigger_kind = 'schedule' ORDER BY started_at");
    let statuses: Vec<&str> = statuses.lines().collect();
    assert_eq!(
        &statuses[..2],
        ["published", "unchanged"],
        "the first scheduled run publishes, the next finds nothing new"
    );
    assert!(hub.ok(&["runs"]).contains("schedule"), "lgsp runs shows the trigger");
}

#[test]
fn two_schedulers_on_one_postgres_run_each_fire_time_once_and_take_over_a_dead_holders_lease() {
    let Some(hub) = Hub::postgres() else { return eprintln!("skipped: no PostgreSQL") };
    hub.ok(&["init"]);
    let dir = pipelines(&hub, "*/2 * * * * *");
    let env = [("LGSP_PIPELINES_DIR", dir.display().to_string()), ("LGSP_LEASE_SECONDS", "3".to_string())];
    let a = spawn(&hub, &["scheduler"], &env);
    let b = spawn(&hub, &["scheduler"], &env);
    let (pid_a, pid_b) = (a.0.id(), b.0.id());
    std::thread::sleep(Duration::from_secs(9));
    // Runs first: a fire time is claimed before its run starts, so the slots read after the runs
    // include every slot of those runs.
    let runs = scheduled_runs(&hub);
    let slots = hub.query("SELECT slot, holder FROM schedule_slots WHERE job = 'run:units' ORDER BY slot");
    assert!((2..=6).contains(&runs), "about one run per 2 s over 9 s, not two: {runs} runs\n{slots}");
    assert!(
        runs <= slots.lines().count(),
        "at most one run per claimed fire time (a fire time that finds the lease held is skipped):\n{slots}"
    );
    let unique: std::collections::HashSet<&str> = slots.lines().map(|l| l.split('|').next().unwrap()).collect();
    assert_eq!(unique.len(), slots.lines().count(), "no fire time claimed twice");

    // A holder dies while holding the pipeline's lease: the survivor skips until it expires.
    drop(a);
    hub.sql(&format!("INSERT INTO leases (name, holder, expires_at) VALUES ('run:units', 'hub-{pid_a}-dead', '{}') ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at",
        now_plus(4)));
    let before = scheduled_runs(&hub);
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(scheduled_runs(&hub), before, "no run while the dead holder's lease lives");
    wait_for("the survivor to run once the lease expired", Duration::from_secs(10), || scheduled_runs(&hub) > before);
    let last = hub.query("SELECT holder FROM schedule_slots WHERE job = 'run:units' ORDER BY slot DESC LIMIT 1");
    assert!(last.contains(&format!("-{pid_b}-")), "the survivor {pid_b} runs the schedule now: {last}");
    drop(b);
}

/// Now + `secs` seconds in the stored time format.
fn now_plus(secs: u64) -> String {
    let out = Command::new("date")
        .args(["-u", "-d", &format!("+{secs} seconds"), "+%Y-%m-%dT%H:%M:%S.000000Z"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn two_hub_instances_share_postgres_and_s3_and_publish_each_version_once() {
    let Some(hub) = Hub::postgres() else { return eprintln!("skipped: no PostgreSQL") };
    let Some((_s3, endpoint)) = common::start_s3() else { return };
    let dir = pipelines(&hub, "*/2 * * * * *");
    let mut env = common::s3_env(&endpoint);
    env.push(("LGSP_PIPELINES_DIR", dir.display().to_string()));
    env.push(("LGSP_OBJECT_STORE_URL", "s3://lgsp/hub".into()));
    let lgsp = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_lgsp"))
            .args(args)
            .current_dir(repo())
            .env("LGSP_STORE_URL", &hub.store_url)
            .env("LGSP_AUDIT_KEY_FILE", hub.audit_key_file())
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    lgsp(&["init"]);
    let (id, secret) = {
        let _ = lgsp(&["agency", "add", "000.00.00.G12", "Bộ Tài chính"]);
        let out = lgsp(&["client", "create", "--agency", "000.00.00.G12"]);
        let f = |k: &str| out.lines().find_map(|l| l.strip_prefix(k)).unwrap().to_string();
        (f("client_id: "), f("client_secret: "))
    };
    let serve = |port: u16, extra: &[&str]| {
        Child(
            Command::new(env!("CARGO_BIN_EXE_lgsp"))
                .arg("serve")
                .args(extra)
                .args(["--listen", &format!("127.0.0.1:{port}")])
                .current_dir(repo())
                .env("LGSP_STORE_URL", &hub.store_url)
                .env("LGSP_AUDIT_KEY_FILE", hub.audit_key_file())
                .env("LGSP_LEASE_SECONDS", "3")
                .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        )
    };
    let mut ports = vec![common::free_port(), common::free_port()];
    let mut servers: Vec<Option<Child>> = ports.iter().map(|p| Some(serve(*p, &[]))).collect();
    let versions = || hub.query("SELECT COUNT(*) FROM versions WHERE dataset = 'units'").parse::<usize>().unwrap_or(0);
    wait_for("version 1", Duration::from_secs(20), || versions() == 1);
    // Grants are on published datasets.
    lgsp(&[
        "grant",
        "add",
        "--client",
        &id,
        "--dataset",
        "units",
        "--scope",
        "snapshot",
        "--basis",
        "test",
        "--purpose",
        "thống kê",
    ]);
    // The instance that published version 1 stops; the other publishes version 2.
    let first = hub.query("SELECT holder FROM schedule_slots ORDER BY slot LIMIT 1");
    let winner = servers
        .iter()
        .position(|s| s.as_ref().is_some_and(|c| first.contains(&format!("-{}-", c.0.id()))))
        .expect("a serving instance published v1");
    servers[winner] = None;
    std::fs::write(hub.dir.path().join("drop/b.csv"), "ma,ten\n01,Một\n02,Hai đổi\n03,Ba\n").unwrap();
    wait_for("version 2 by the other instance", Duration::from_secs(20), || versions() == 2);
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(versions(), 2, "each version published once");
    assert_eq!(hub.query("SELECT COUNT(*) FROM runs WHERE status = 'published'"), "2");
    assert_eq!(
        hub.query("SELECT COUNT(*) FROM runs WHERE status = 'failed'"),
        "0",
        "no instance tripped over the other"
    );
    let holders = hub.query("SELECT COUNT(DISTINCT holder) FROM schedule_slots");
    assert_eq!(holders, "2", "both instances ran scheduled slots");
    // A replacement instance (API only) and the survivor serve the same data.
    ports[winner] = common::free_port();
    servers[winner] = Some(serve(ports[winner], &["--no-scheduler"]));
    std::thread::sleep(Duration::from_millis(1500));
    let mut bodies = Vec::new();
    for p in ports {
        let base = format!("http://127.0.0.1:{p}");
        let tok = Command::new("curl")
            .args([
                "-s",
                "-u",
                &format!("{id}:{secret}"),
                "-d",
                "grant_type=client_credentials",
                &format!("{base}/token"),
            ])
            .output()
            .unwrap();
        let tok: serde_json::Value = serde_json::from_slice(&tok.stdout).unwrap();
        let body = Command::new("curl")
            .args([
                "-sf",
                "-H",
                &format!("Authorization: Bearer {}", tok["access_token"].as_str().unwrap()),
                &format!("{base}/api/v1/datasets/units/snapshot?format=csv"),
            ])
            .output()
            .unwrap();
        assert!(body.status.success());
        bodies.push(String::from_utf8_lossy(&body.stdout).to_string());
    }
    assert_eq!(bodies[0], bodies[1], "either instance serves the same version");
    assert!(bodies[0].contains("Hai đổi") && bodies[0].lines().count() == 4, "{}", bodies[0]);
    drop(servers);
}

#[test]
fn a_missed_fire_time_runs_once_at_start_and_scheduled_backups_keep_the_newest() {
    let hub = Hub::sqlite();
    hub.ok(&["init"]);
    let dir = pipelines(&hub, "0 0 0 1 1 *");
    let file = dir.join("units.toml");
    let text = std::fs::read_to_string(&file).unwrap().replace("[source]", "missed = \"run_once\"\n\n[source]");
    std::fs::write(&file, text).unwrap();
    let backups = hub.dir.path().join("backups");
    let env = [
        ("LGSP_PIPELINES_DIR", dir.display().to_string()),
        ("LGSP_BACKUP_SCHEDULE", "*/1 * * * * *".to_string()),
        ("LGSP_BACKUP_TO", backups.display().to_string()),
        ("LGSP_BACKUP_KEEP", "2".to_string()),
    ];
    let sched = spawn(&hub, &["scheduler"], &env);
    wait_for("the missed yearly run", Duration::from_secs(10), || scheduled_runs(&hub) == 1);
    let folders = || std::fs::read_dir(&backups).map(|d| d.flatten().count()).unwrap_or(0);
    wait_for("backups", Duration::from_secs(10), || folders() >= 2);
    std::thread::sleep(Duration::from_secs(3));
    drop(sched);
    assert_eq!(folders(), 2, "only the newest two backups are kept");
    assert_eq!(scheduled_runs(&hub), 1, "the missed fire time ran once, and no other is due");
    let newest = std::fs::read_dir(&backups)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("manifest.json").exists())
        .max()
        .expect("a complete backup (the stop may cut the last one short)");
    assert!(hub.ok(&["backup", "verify", "--from", newest.to_str().unwrap()]).contains("intact"));
}
