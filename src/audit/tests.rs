use super::*;

async fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::connect(&format!("sqlite://{}", dir.path().join("hub.db").display())).await.unwrap();
    store.migrate().await.unwrap();
    (dir, store)
}

fn entry(n: usize) -> AuditRow {
    admin_entry("cli", "grant_add", "000.00.12.H48", serde_json::json!({ "n": n }))
}

async fn sql(store: &Store, statement: &str) {
    sqlx::query(statement).execute(store.pool()).await.unwrap();
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
    assert_eq!(last.hash, hash_of(&last));
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
    row.hash = hash_of(&row);
    sql(&store, &format!("UPDATE audit_log SET detail = '{}', hash = '{}' WHERE seq = 2", row.detail, row.hash)).await;
    let (seq, why) = verify(&store).await.unwrap().broken.unwrap();
    assert_eq!(seq, 3);
    assert!(why.contains("link to the previous row is broken"), "{why}");
}
