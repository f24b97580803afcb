//! People at family scale: a library of 100,000 faces holds a few dozen people the family
//! cares about and thousands of strangers seen once or twice. Listings show the named people
//! first, then groups by size; groups of fewer than [`SMALL_GROUP_PHOTOS`] photos wait under
//! "More" unless a search asks for them.

use std::cmp::Ordering;

use crate::catalog::{Catalog, Person};
use crate::error::Result;

/// Unnamed groups with fewer photos than this are listed apart ("More").
pub const SMALL_GROUP_PHOTOS: u64 = 3;

/// Which part of the people listing to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PeopleSection {
    /// Named people, then groups of at least [`SMALL_GROUP_PHOTOS`] photos.
    #[default]
    Main,
    /// The small unnamed groups.
    More,
    /// Everyone, in one list.
    All,
}

#[derive(Debug, Clone, Default)]
pub struct PeopleQuery {
    pub include_hidden: bool,
    /// Only people whose name holds this text (any case), or groups named by number ("17",
    /// "group 17"); a search covers every section.
    pub search: Option<String>,
    pub section: PeopleSection,
    pub offset: u64,
    pub limit: Option<u64>,
}

/// One page of a people listing, with the counts the whole listing has.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PeoplePage {
    pub people: Vec<Person>,
    /// People the query matches (before paging).
    pub total: u64,
    /// Named people, unnamed groups, and the small ones among them, in the whole library
    /// (hidden ones only when asked for).
    pub named: u64,
    pub groups: u64,
    pub small_groups: u64,
}

/// Text compared the way people read it: "Person 9" before "Person 10", case ignored.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a.chars().peekable(), b.chars().peekable());
    loop {
        match (a.peek().copied(), b.peek().copied()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let take = |it: &mut std::iter::Peekable<std::str::Chars<'_>>| {
                    let mut digits = String::new();
                    while let Some(c) = it.peek().copied().filter(char::is_ascii_digit) {
                        digits.push(c);
                        it.next();
                    }
                    digits
                };
                let (m, n) = (take(&mut a), take(&mut b));
                let (m, n) = (m.trim_start_matches('0'), n.trim_start_matches('0'));
                let order = m.len().cmp(&n.len()).then_with(|| m.cmp(n));
                if order != Ordering::Equal {
                    return order;
                }
            }
            (Some(x), Some(y)) => {
                let order = x.to_lowercase().cmp(y.to_lowercase());
                if order != Ordering::Equal {
                    return order;
                }
                a.next();
                b.next();
            }
        }
    }
}

fn is_small(person: &Person) -> bool {
    person.name.is_none() && person.photos < SMALL_GROUP_PHOTOS
}

fn matches(person: &Person, search: &str) -> bool {
    let wanted = search.trim().to_lowercase();
    if wanted.is_empty() {
        return true;
    }
    if let Some(name) = &person.name {
        return name.to_lowercase().contains(&wanted);
    }
    let number = wanted.trim_start_matches("group").trim().trim_start_matches('#');
    number.parse::<i64>().is_ok_and(|id| id == person.id) || "unnamed".contains(&wanted)
}

pub(crate) fn people_page(catalog: &Catalog, query: &PeopleQuery) -> Result<PeoplePage> {
    let mut everyone = catalog.people_list(query.include_hidden)?;
    everyone.sort_by(|a, b| match (&a.name, &b.name) {
        (Some(x), Some(y)) => natural_cmp(x, y).then(a.id.cmp(&b.id)),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => b.faces.cmp(&a.faces).then(b.photos.cmp(&a.photos)).then(a.id.cmp(&b.id)),
    });
    let named = everyone.iter().filter(|p| p.name.is_some()).count() as u64;
    let small_groups = everyone.iter().filter(|p| is_small(p)).count() as u64;
    let groups = everyone.len() as u64 - named;
    let chosen: Vec<Person> = match query.search.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(search) => everyone.into_iter().filter(|p| matches(p, search)).collect(),
        None => match query.section {
            PeopleSection::Main => everyone.into_iter().filter(|p| !is_small(p)).collect(),
            PeopleSection::More => everyone.into_iter().filter(is_small).collect(),
            PeopleSection::All => everyone,
        },
    };
    let total = chosen.len() as u64;
    let people = chosen
        .into_iter()
        .skip(query.offset as usize)
        .take(query.limit.map_or(usize::MAX, |l| l as usize))
        .collect();
    Ok(PeoplePage { people, total, named, groups, small_groups })
}

/// Up to `count` faces of a person spread over all of theirs, for a mosaic that shows what
/// the group holds (its first face, its last and evenly between).
pub(crate) fn face_sample(catalog: &Catalog, person: i64, count: usize) -> Result<Vec<i64>> {
    let faces = catalog.faces_of_person(person)?;
    if faces.len() <= count || count == 0 {
        return Ok(faces.into_iter().take(count).map(|f| f.0).collect());
    }
    let step = faces.len() as f64 / count as f64;
    Ok((0..count).map(|i| faces[(i as f64 * step) as usize].0).collect())
}
