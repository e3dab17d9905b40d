//! A steward's corrections of master entities: unmerge an entity into the entities its records
//! first belonged to, detach one record. Both record rejected pairs (so later resolutions keep
//! the records apart) under a name that lists them and lets them be withdrawn.

use super::{record_id, Error, Result};
use crate::store::{Store, XrefRow};

/// Splits master entity `master_id` into the groups of its records that share their first
/// master id (a record of the entity from its start stays with the others of the start): the
/// pairs across groups are recorded as rejected by `unmerge:<master_id>`. How many groups.
pub async fn unmerge(store: &Store, entity: &str, master_id: &str) -> Result<usize> {
    let members = members(store, entity, master_id).await?;
    let group = |x: &XrefRow| x.first_master_id.clone().unwrap_or_else(|| record_id(&x.source, &x.source_key));
    let by = format!("unmerge:{master_id}");
    let mut pairs = Vec::new();
    for (i, a) in members.iter().enumerate() {
        for b in &members[i + 1..] {
            if group(a) != group(b) {
                pairs.push((a, b));
            }
        }
    }
    reject_all(store, entity, &pairs, &by).await?;
    let groups: std::collections::HashSet<String> = members.iter().map(group).collect();
    Ok(groups.len())
}

/// Moves the record `record` (`dataset|key`) out of its master entity; the others stay
/// together. The pairs of the record with the others are recorded as rejected by
/// `detach:<record>`. The master id the record had.
pub async fn detach(store: &Store, entity: &str, record: &str) -> Result<String> {
    let xrefs = store.xrefs(entity).await?;
    let own = xrefs
        .iter()
        .find(|x| record_id(&x.source, &x.source_key) == record)
        .ok_or_else(|| Error::NoRecord(record.into()))?;
    let master = own.master_id.clone();
    let others: Vec<&XrefRow> = xrefs.iter().filter(|x| x.master_id == master && !std::ptr::eq(*x, own)).collect();
    let pairs: Vec<(&XrefRow, &XrefRow)> = others.into_iter().map(|o| (own, o)).collect();
    reject_all(store, entity, &pairs, &format!("detach:{record}")).await?;
    store.give_up_master_id(entity, &own.source, &own.source_key).await?;
    Ok(master)
}

async fn members(store: &Store, entity: &str, master_id: &str) -> Result<Vec<XrefRow>> {
    let members: Vec<XrefRow> = store.xrefs(entity).await?.into_iter().filter(|x| x.master_id == master_id).collect();
    if members.is_empty() {
        return Err(Error::NoMaster(master_id.into()));
    }
    Ok(members)
}

async fn reject_all(store: &Store, entity: &str, pairs: &[(&XrefRow, &XrefRow)], by: &str) -> Result<()> {
    for (a, b) in pairs {
        let (x, y) = (record_id(&a.source, &a.source_key), record_id(&b.source, &b.source_key));
        let (x, y) = if x <= y { (x, y) } else { (y, x) };
        store.decide(entity, &x, &y, "reject", by).await?;
    }
    Ok(())
}
