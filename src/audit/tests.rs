use super::*;

async fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::connect(&format!("sqlite://{}", dir.path().join("hub.db").display())).await.unwrap();
    store.migrate().await.unwrap();
    store.set_audit_key(crate::digest::MacKey::from_hex(&"5a".repeat(32)).unwrap());
    (dir, store)
}

fn entry(n: usize) -> AuditRow {
    admin_entry("cli", "grant_add", "000.00.12.H48", serde_json::json!({ "n": n }))
}

async fn sql(store: &Store, statement: &str) {
    crate::store::on_db!(store, |pool| sqlx::query(statement).execute(pool).await.map(|_| ())).unwrap();
}

/// Five entries through the batched writer: a chain of seq 1..=5.
async fn chain_of_five() -> (tempfile::TempDir, Store) {
    let (dir, store) = store().await;
    let writer = AuditWriter::spawn(store.clone());
    for n in 0..5 {
        let row = writer.append(entry(n)).await.unwrap();
        assert_eq!(row.seq, n as i64 + 1);
    }
    (dir, store)
}

#[tokio::test]
async fn an_appended_chain_verifies_and_its_head_is_the_last_hash() {
    let (_dir, store) = chain_of_five().await;
    let v = verify(&store).await.unwrap();
    let last = store.last_audit().await.unwrap().unwrap();
    assert_eq!((v.rows, v.head, v.broken), (5, last.hash.clone(), None));
    assert_eq!(last.hash, hash_of(store.audit_chain().key().unwrap(), &last));
}

#[tokio::test]
async fn an_edited_row_is_named_by_verify() {
    let (_dir, store) = chain_of_five().await;
    sql(&store, "UPDATE audit_log SET rows_out = 999 WHERE seq = 3").await;
    let v = verify(&store).await.unwrap();
    let (seq, why) = v.broken.unwrap();
    assert_eq!((seq, v.rows), (3, 2));
    assert!(why.contains("edited"), "{why}");
}

#[tokio::test]
async fn a_deleted_row_in_the_middle_is_reported_as_missing() {
    let (_dir, store) = chain_of_five().await;
    sql(&store, "DELETE FROM audit_log WHERE seq = 2").await;
    let (seq, why) = verify(&store).await.unwrap().broken.unwrap();
    assert_eq!(seq, 3);
    assert!(why.contains("rows 2 to 2 are missing"), "{why}");
}

#[tokio::test]
async fn a_row_replaced_with_its_own_hash_recomputed_breaks_the_next_link() {
    let (_dir, store) = chain_of_five().await;
    let mut row = store.audit_page(1, 1).await.unwrap().remove(0);
    row.detail = "{\"n\":\"forged\"}".into();
    // Recomputed with a plain hash or another key, as someone without the key would.
    row.hash = hash_of(&crate::digest::MacKey::generate(), &row);
    sql(&store, &format!("UPDATE audit_log SET detail = '{}', hash = '{}' WHERE seq = 2", row.detail, row.hash)).await;
    let (seq, why) = verify(&store).await.unwrap().broken.unwrap();
    assert_eq!(seq, 2);
    assert!(why.contains("does not match its keyed hash"), "{why}");
}

#[tokio::test]
async fn deleting_the_newest_rows_is_found_against_the_checkpoint() {
    let (dir, store) = chain_of_five().await;
    let objects = crate::objects::open(&dir.path().join("objects").display().to_string()).unwrap();
    let cp = write_checkpoint(&store, &objects).await.unwrap();
    assert_eq!(cp.seq, 5);
    assert_eq!(verify_with_checkpoints(&store, &objects).await.unwrap().broken, None);
    sql(&store, "DELETE FROM audit_log WHERE seq > 3").await;
    assert_eq!(verify(&store).await.unwrap().broken, None, "the chain alone cannot see a cut at its end");
    let v = verify_with_checkpoints(&store, &objects).await.unwrap();
    let (seq, why) = v.broken.unwrap();
    assert_eq!(seq, 4);
    assert!(why.contains("rows 4 to 5 are missing"), "{why}");
}

#[tokio::test]
async fn a_checkpoint_signed_with_another_key_is_refused() {
    let (dir, store) = chain_of_five().await;
    let objects = crate::objects::open(&dir.path().join("objects").display().to_string()).unwrap();
    let mut cp = write_checkpoint(&store, &objects).await.unwrap();
    cp.seq = 2;
    crate::objects::put(&objects, "audit/checkpoints/latest.json", serde_json::to_vec(&cp).unwrap()).await.unwrap();
    let err = verify_with_checkpoints(&store, &objects).await.unwrap_err();
    assert!(err.to_string().contains("not signed with this key"), "{err}");
}

#[tokio::test]
async fn nothing_is_appended_without_a_key() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::connect(&format!("sqlite://{}", dir.path().join("hub.db").display())).await.unwrap();
    store.migrate().await.unwrap();
    assert!(matches!(append(&store, entry(0)).await, Err(Error::NoKey)));
    assert!(store.last_audit().await.unwrap().is_none());
}
