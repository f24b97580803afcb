//! Browsing photos: one set of conditions (people, album, folder, dates) shared by the pages of
//! a listing and by its months, so that a timeline and its photos always agree.

use rusqlite::types::Value;

use super::Catalog;
use super::albums::{folder_bounds, live_album_in};
use super::photos::{PhotoRow, PhotoSearch, date_range};
use crate::error::Result;

/// How many photos a listing holds in one month (`YYYY-MM`; `None` for photos with no date,
/// which come last).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthCount {
    pub month: Option<String>,
    pub photos: u64,
}

/// Newest first; photos with no date last, by path. The `photos_timeline` index holds exactly
/// this order, so a page deep into a listing costs a walk along the index, not a sort.
pub(super) const TIMELINE_ORDER: &str = " ORDER BY p.taken_at IS NULL, p.taken_at DESC, p.path";

impl Catalog {
    /// The conditions of `search` on `photos p` (joined with `roots r`), and their arguments.
    fn search_conditions(&self, search: &PhotoSearch) -> Result<(String, Vec<Value>)> {
        let mut sql = String::new();
        let mut args: Vec<Value> = Vec::new();
        if !search.people.is_empty() {
            let mut people = Vec::with_capacity(search.people.len());
            for &id in &search.people {
                people.push(super::people::resolve_person_in(&self.conn, id)?);
            }
            people.sort_unstable();
            people.dedup();
            let list = people.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
            let needed = if search.match_all || search.only { people.len() } else { 1 };
            sql.push_str(&format!(
                " AND p.id IN (SELECT photo_id FROM faces WHERE person_id IN ({list})
                               GROUP BY photo_id HAVING count(DISTINCT person_id) >= {needed})"
            ));
            if search.only {
                sql.push_str(&format!(
                    " AND NOT EXISTS (SELECT 1 FROM faces o WHERE o.photo_id = p.id
                        AND (o.person_id IS NULL OR o.person_id NOT IN ({list}))
                        AND NOT EXISTS (SELECT 1 FROM face_decisions d
                                        WHERE d.face_id = o.id AND d.kind = 'not_a_face'))"
                ));
            }
        }
        if let Some(album) = search.album {
            live_album_in(&self.conn, album)?;
            sql.push_str(" AND p.id IN (SELECT photo_id FROM album_photos WHERE album_id = ?)");
            args.push(album.into());
        }
        if let Some(folder) = &search.folder {
            let folder = std::fs::canonicalize(folder).unwrap_or_else(|_| folder.clone());
            let (low, high) = folder_bounds(&folder);
            sql.push_str(" AND p.path > ? AND p.path < ?");
            args.push(low.into());
            args.push(high.into());
        }
        date_range(&mut sql, &mut args, search.from.as_deref(), search.to.as_deref());
        Ok((sql, args))
    }

    /// Photos matching `search` (all photos when it says nothing), newest first, a page at a
    /// time with `limit` and `offset`.
    pub fn browse_photos(&self, search: &PhotoSearch) -> Result<Vec<PhotoRow>> {
        let (sql, args) = self.search_conditions(search)?;
        let mut order = String::from(TIMELINE_ORDER);
        if let Some(limit) = search.limit {
            order.push_str(&format!(" LIMIT {limit} OFFSET {}", search.offset));
        } else if search.offset > 0 {
            order.push_str(&format!(" LIMIT -1 OFFSET {}", search.offset));
        }
        self.photos_where(&sql, args, &order)
    }

    /// How many photos matching `search` (paging ignored) were taken in each month, newest
    /// month first, in the order of [`Catalog::browse_photos`].
    pub fn photo_months(&self, search: &PhotoSearch) -> Result<Vec<MonthCount>> {
        let (conditions, args) = self.search_conditions(search)?;
        let sql = format!(
            "SELECT substr(p.taken_at, 1, 7) AS month, count(*)
             FROM photos p JOIN roots r ON r.id = p.root_id
             WHERE r.removed_at IS NULL{conditions}
             GROUP BY month ORDER BY month IS NULL, month DESC"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(args), |r| {
            Ok(MonthCount { month: r.get(0)?, photos: r.get(1)? })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
